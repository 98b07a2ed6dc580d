//! The people who run the shop and what each may do: staff members, their
//! roles, the API tokens they hand to integrations, and the actor a change
//! is recorded with.

use super::{Id, OrderStatus, Timestamp};
use serde::{Deserialize, Serialize};

/// A staff member's role, from most to least.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Everything, including staff, tokens and webhooks.
    Owner,
    /// Orders, refunds, products, customers, exports.
    Manager,
    /// Sees orders, ships them, marks them fulfilled, adds notes.
    Packer,
    /// Reads what a manager reads.
    Viewer,
}

/// What a door of the server asks of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// The order list, an order, the packing slip, the staff live feed.
    SeeOrders,
    /// Shipments, marking FULFILLED, notes.
    Fulfil,
    /// Taking payment, cancelling, returns, refunds.
    ManageOrders,
    /// The customer list and a customer's details.
    SeeCustomers,
    /// The catalogue as staff see it: stock history, the stock check.
    SeeStock,
    /// Adding products, prices, stock.
    ManageCatalogue,
    /// The dashboard's figures, exports, metrics, the activity log.
    SeeReports,
    /// Staff accounts and every token.
    ManageStaff,
    ManageWebhooks,
}

impl Permission {
    /// What moving an order to `status` asks: marking it FULFILLED is the
    /// packer's job; taking payment, cancelling or reopening, a manager's.
    pub fn to_move_to(status: OrderStatus) -> Permission {
        if status == OrderStatus::Fulfilled {
            Permission::Fulfil
        } else {
            Permission::ManageOrders
        }
    }

    pub const ALL: [Permission; 9] = [
        Permission::SeeOrders,
        Permission::Fulfil,
        Permission::ManageOrders,
        Permission::SeeCustomers,
        Permission::SeeStock,
        Permission::ManageCatalogue,
        Permission::SeeReports,
        Permission::ManageStaff,
        Permission::ManageWebhooks,
    ];
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Manager, Role::Packer, Role::Viewer];

    /// The permission matrix: the one place that says who may do what.
    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Manager => !matches!(permission, ManageStaff | ManageWebhooks),
            Role::Packer => matches!(permission, SeeOrders | Fulfil),
            Role::Viewer => matches!(permission, SeeOrders | SeeCustomers | SeeStock | SeeReports),
        }
    }

    /// Whether `self` allows nothing `holder` does not: the roles a
    /// holder may give a token (a packer's token cannot read customers,
    /// though a viewer may).
    pub fn at_most(self, holder: Role) -> bool {
        Permission::ALL
            .into_iter()
            .all(|p| !self.may(p) || holder.may(p))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "OWNER",
            Role::Manager => "MANAGER",
            Role::Packer => "PACKER",
            Role::Viewer => "VIEWER",
        }
    }

    /// How the pages name it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Manager => "Manager",
            Role::Packer => "Packer",
            Role::Viewer => "Viewer",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = ();

    fn from_str(s: &str) -> Result<Role, ()> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or(())
    }
}

/// What kind of caller made a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    Staff,
    Token,
    Customer,
    System,
}

/// Who made a change: a staff member, an API token, the customer, or
/// Igniflo itself. Recorded with every status entry, shipment, return,
/// refund, note and stock movement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
// Old rows' actors are read on the server only; the browser reads what the
// server writes (and no buffering reader for the old forms).
#[cfg_attr(feature = "ssr", serde(from = "StoredActor"))]
pub struct Actor {
    pub kind: ActorKind,
    /// The staff member's or token's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    /// For a token: the id of the staff member it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
}

/// Changes recorded before staff accounts named their actor by kind alone.
#[cfg(feature = "ssr")]
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredActor {
    Named {
        kind: ActorKind,
        #[serde(default)]
        id: Option<String>,
        name: String,
        #[serde(default)]
        staff: Option<String>,
    },
    KindOnly(LegacyActor),
}

#[cfg(feature = "ssr")]
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum LegacyActor {
    Customer,
    Admin,
    System,
}

#[cfg(feature = "ssr")]
impl From<StoredActor> for Actor {
    fn from(stored: StoredActor) -> Actor {
        match stored {
            StoredActor::Named {
                kind,
                id,
                name,
                staff,
            } => Actor {
                kind,
                id,
                name,
                staff,
            },
            StoredActor::KindOnly(LegacyActor::Customer) => Actor::customer(),
            StoredActor::KindOnly(LegacyActor::System) => Actor::system(),
            StoredActor::KindOnly(LegacyActor::Admin) => Actor {
                kind: ActorKind::Staff,
                id: None,
                name: FIRST_OWNER_LOGIN.to_string(),
                staff: None,
            },
        }
    }
}

impl Actor {
    pub fn customer() -> Actor {
        Actor {
            kind: ActorKind::Customer,
            id: None,
            name: "customer".into(),
            staff: None,
        }
    }

    pub fn system() -> Actor {
        Actor {
            kind: ActorKind::System,
            id: None,
            name: "Igniflo".into(),
            staff: None,
        }
    }

    pub fn staff(member: &StaffMember) -> Actor {
        Actor {
            kind: ActorKind::Staff,
            id: Some(member.id.to_string()),
            name: member.name.clone(),
            staff: None,
        }
    }

    /// The staff member behind the change: the one who made it, or whose
    /// token did.
    pub fn staff_member(&self) -> Option<&str> {
        match self.kind {
            ActorKind::Staff => self.id.as_deref(),
            ActorKind::Token => self.staff.as_deref(),
            ActorKind::Customer | ActorKind::System => None,
        }
    }

    /// Staff and tokens are "the shop" to a customer; customers see no
    /// staff names.
    pub fn as_seen_by_customer(&self) -> Actor {
        match self.kind {
            ActorKind::Staff | ActorKind::Token => Actor {
                kind: self.kind,
                id: None,
                name: "the shop".into(),
                staff: None,
            },
            ActorKind::Customer | ActorKind::System => self.clone(),
        }
    }
}

/// The login of the first owner: `{username: "admin"}` signs them in, and
/// `IGNIFLO_ADMIN_PASSWORD` sets their password.
pub const FIRST_OWNER_LOGIN: &str = "admin";

/// A staff member as the API shows them (never their password).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StaffMember {
    #[serde(rename = "_id")]
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: Id,
    pub name: String,
    /// The sign-in name: an email address (the first owner's is `admin`).
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sign_in_at: Option<Timestamp>,
}

/// `POST /api/staff`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewStaffMember {
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// `PATCH /api/staff/:id`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaffPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// A staff member with the one-time link that sets their password: shown
/// once, to the owner who passes it on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StaffWithLink {
    #[serde(flatten)]
    pub member: StaffMember,
    /// `/admin/set-password?token=…`, valid for 24 hours, once; with the
    /// shop's address in front when `IGNIFLO_PUBLIC_URL` is set.
    pub set_password_link: String,
    pub link_expires_at: Timestamp,
}

/// How long a set-password link stays valid.
pub const PASSWORD_LINK_HOURS: i64 = 24;

/// `POST /api/auth/set-password`: a new password, with the link's token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetPassword {
    pub token: String,
    pub password: String,
}

/// `POST /api/auth/password`: one's own new password.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// An API token as listed (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    #[serde(rename = "_id")]
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: Id,
    pub name: String,
    pub role: Role,
    /// The staff member it belongs to.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub staff: Id,
    pub staff_name: String,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<Timestamp>,
}

/// `POST /api/tokens`: the caller's role unless a lower one is asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewApiToken {
    pub name: String,
    #[serde(default)]
    pub role: Option<Role>,
}

/// A new token, shown this once: `igf_` and 160 random bits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiToken {
    #[serde(flatten)]
    pub token: ApiToken,
    pub secret: String,
}

/// The prefix of every API token, so a leaked one is recognisable.
pub const API_TOKEN_PREFIX: &str = "igf_";

/// One of a staff member's sessions, as `/admin/account` lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StaffSession {
    #[serde(rename = "_id")]
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: Id,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// The session this request came with.
    pub current: bool,
}

/// Who is signed in, as `GET /api/auth/session` answers and the admin
/// pages read to show only what the role may do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    pub name: String,
    pub role: Role,
    pub actor: Actor,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_do_its_job_and_no_more() {
        use Permission::*;
        assert!(Role::Owner.may(ManageStaff) && Role::Owner.may(ManageWebhooks));
        assert!(Role::Manager.may(ManageOrders) && Role::Manager.may(ManageCatalogue));
        assert!(!Role::Manager.may(ManageStaff) && !Role::Manager.may(ManageWebhooks));
        assert!(Role::Packer.may(Fulfil) && Role::Packer.may(SeeOrders));
        for p in [
            ManageOrders,
            SeeCustomers,
            ManageCatalogue,
            SeeReports,
            SeeStock,
        ] {
            assert!(!Role::Packer.may(p), "{p:?}");
        }
        assert!(Role::Viewer.may(SeeCustomers) && Role::Viewer.may(SeeReports));
        for p in [Fulfil, ManageOrders, ManageCatalogue, ManageStaff] {
            assert!(!Role::Viewer.may(p), "{p:?}");
        }
    }

    #[test]
    fn a_token_role_is_at_most_its_holders() {
        assert!(Role::Packer.at_most(Role::Manager));
        assert!(Role::Manager.at_most(Role::Manager));
        assert!(!Role::Owner.at_most(Role::Manager));
        assert!(!Role::Viewer.at_most(Role::Packer) && !Role::Packer.at_most(Role::Viewer));
        assert_eq!("packer".parse(), Ok(Role::Packer));
    }

    #[test]
    fn actors_recorded_before_staff_accounts_still_read() {
        let old: Actor = serde_json::from_str("\"admin\"").unwrap();
        assert_eq!((old.kind, old.name.as_str()), (ActorKind::Staff, "admin"));
        let old: Actor = serde_json::from_str("\"customer\"").unwrap();
        assert_eq!(old, Actor::customer());
        let new = Actor {
            kind: ActorKind::Token,
            id: Some("t1".into()),
            name: "Warehouse sync".into(),
            staff: Some("m1".into()),
        };
        let json = serde_json::to_string(&new).unwrap();
        assert_eq!(serde_json::from_str::<Actor>(&json).unwrap(), new);
        assert_eq!(new.as_seen_by_customer().name, "the shop");
        assert_eq!(new.as_seen_by_customer().id, None);
        assert_eq!(new.as_seen_by_customer().staff, None);
        assert_eq!(new.staff_member(), Some("m1"));
    }
}
