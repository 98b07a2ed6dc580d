//! Staff on every store: set-password links work once and expire, the last
//! active owner stays one (even when two owners demote each other at once),
//! deactivation ends a member's sessions and tokens, and a token allows no
//! more than its holder.

use super::*;
use igniflo::server::service::StaffCaller;
use igniflo::server::store::staff::StaffWrite;

const PASSWORD: &str = "a long enough password";

/// The token in a set-password link.
fn link_token(link: &StaffWithLink) -> String {
    link.set_password_link
        .split_once("token=")
        .expect("the link carries its token")
        .1
        .to_string()
}

async fn member(f: &Fixture, name: &str, email: &str, role: Role) -> StaffWithLink {
    f.service
        .add_staff(NewStaffMember {
            name: name.into(),
            email: email.into(),
            role,
        })
        .await
        .unwrap()
}

/// A member who has set their password; their session's caller.
async fn signed_in(f: &Fixture, name: &str, email: &str, role: Role) -> (StaffMember, StaffCaller) {
    let added = member(f, name, email, role).await;
    let session = f
        .service
        .set_password_with_link(SetPassword {
            token: link_token(&added),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();
    let caller = f.service.session_caller(&session).await.unwrap().unwrap();
    (added.member, caller)
}

fn refused_field(result: Result<impl std::fmt::Debug, AppError>, expected: &str) -> String {
    match result {
        Err(AppError::Invalid { field, message }) if field == expected => message,
        other => panic!("expected {expected} to be refused, got {other:?}"),
    }
}

pub async fn set_password_links_work_once_and_not_after_they_expire(f: &Fixture) {
    let added = member(f, "Pat Packer", "Pat@Example.com", Role::Packer).await;
    assert_eq!(added.member.email, "pat@example.com");
    assert!(added
        .set_password_link
        .starts_with("/admin/set-password?token="));
    let token = link_token(&added);
    assert!(token.len() >= 32, "{token}");
    let set = |token: String, password: &str| {
        f.service.set_password_with_link(SetPassword {
            token,
            password: password.into(),
        })
    };
    // Nobody signs in before the link is used.
    let login = Login {
        email: "pat@example.com".into(),
        password: PASSWORD.into(),
    };
    assert_eq!(f.service.sign_in(&login).await, Err(AppError::Unauthorized));
    let mut tampered = token.clone();
    tampered.replace_range(0..1, if token.starts_with('0') { "1" } else { "0" });
    refused_field(set(tampered, PASSWORD).await, "token");
    refused_field(set(token.clone(), "short").await, "password");
    let session = set(token.clone(), PASSWORD).await.unwrap();
    let caller = f.service.session_caller(&session).await.unwrap().unwrap();
    assert_eq!(caller.role, Role::Packer);
    assert_eq!(caller.actor.name, "Pat Packer");
    assert_eq!(caller.actor.kind, ActorKind::Staff);
    refused_field(set(token, "another long password").await, "token");
    // Sign-in ignores the email's case.
    let upper = Login {
        email: "PAT@example.COM".into(),
        password: PASSWORD.into(),
    };
    assert!(f.service.sign_in(&upper).await.is_ok());

    // A new link replaces an unused earlier one.
    let first = f.service.new_staff_link(added.member.id).await.unwrap();
    let second = f.service.new_staff_link(added.member.id).await.unwrap();
    refused_field(set(link_token(&first), PASSWORD).await, "token");

    // Past its 24 hours, the link is refused.
    let record = f
        .store
        .staff_member(added.member.id)
        .await
        .unwrap()
        .unwrap();
    let mut expired = record.clone();
    expired.link_expires_at = Some(Timestamp::from_millis(Timestamp::now().millis() - 1));
    expired.updated_at = Timestamp::from_millis(record.updated_at.millis() + 1);
    f.store
        .write_staff(StaffWrite {
            record: expired,
            read_at: record.updated_at,
            keep_another_owner: false,
            end_access: false,
        })
        .await
        .unwrap();
    let message = refused_field(set(link_token(&second), PASSWORD).await, "token");
    assert!(message.contains("expired"), "{message}");
    // The password set with the first link still signs in.
    assert!(f.service.sign_in(&login).await.is_ok());
}

pub async fn the_last_active_owner_stays_an_owner_even_when_racing(f: &Fixture) {
    f.service.set_admin_password(PASSWORD).await.unwrap();
    let staff = f.service.staff().await.unwrap();
    assert_eq!(staff.len(), 1);
    let admin = staff[0].clone();
    assert_eq!((admin.email.as_str(), admin.role), ("admin", Role::Owner));
    let demote = |id: Id, role: Role| {
        f.service.change_staff(
            id,
            StaffPatch {
                role: Some(role),
                ..Default::default()
            },
        )
    };
    let deactivate = |id: Id| {
        f.service.change_staff(
            id,
            StaffPatch {
                active: Some(false),
                ..Default::default()
            },
        )
    };
    assert_eq!(
        demote(admin.id, Role::Manager).await,
        Err(AppError::LastOwner)
    );
    assert_eq!(deactivate(admin.id).await, Err(AppError::LastOwner));
    let added = member(f, "Olga Owner", "olga@example.com", Role::Owner).await;
    // An owner who has not set a password yet cannot sign in: not one.
    assert_eq!(
        demote(admin.id, Role::Manager).await,
        Err(AppError::LastOwner)
    );
    f.service
        .set_password_with_link(SetPassword {
            token: link_token(&added),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();
    let olga = added.member;
    assert_eq!(
        demote(admin.id, Role::Manager).await.unwrap().role,
        Role::Manager
    );
    assert_eq!(
        demote(olga.id, Role::Viewer).await,
        Err(AppError::LastOwner)
    );
    // Two owners demoting each other at once: one of them stays an owner.
    for _ in 0..5 {
        demote(admin.id, Role::Owner).await.unwrap();
        let (a, b) = tokio::join!(demote(admin.id, Role::Packer), deactivate(olga.id));
        let refused = [&a, &b]
            .iter()
            .filter(|r| **r == &Err(AppError::LastOwner))
            .count();
        assert_eq!(refused, 1, "{a:?} {b:?}");
        let owners = f
            .service
            .staff()
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.active && m.role == Role::Owner)
            .count();
        assert_eq!(owners, 1);
        // Back to two owners for the next round.
        demote(admin.id, Role::Owner).await.unwrap();
        f.service
            .change_staff(
                olga.id,
                StaffPatch {
                    active: Some(true),
                    role: Some(Role::Owner),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
}

pub async fn deactivating_a_member_ends_their_sessions_and_tokens(f: &Fixture) {
    f.service.set_admin_password(PASSWORD).await.unwrap();
    let (pat, caller) = signed_in(f, "Pat Packer", "pat@example.com", Role::Packer).await;
    let session = f
        .service
        .sign_in(&Login {
            email: "pat@example.com".into(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();
    let token = f
        .service
        .create_token(
            &caller,
            NewApiToken {
                name: "Label printer".into(),
                role: None,
            },
        )
        .await
        .unwrap();
    assert!(token.secret.starts_with("igf_") && token.secret.len() >= 4 + 32);
    assert_eq!(token.token.role, Role::Packer);
    let by_token = f
        .service
        .token_caller(&token.secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_token.actor.kind, ActorKind::Token);
    assert!(
        by_token.actor.name.contains("Label printer"),
        "{:?}",
        by_token.actor
    );
    assert_eq!(f.service.own_sessions(&caller).await.unwrap().len(), 2);

    let unused_link = f.service.new_staff_link(pat.id).await.unwrap();
    let off = StaffPatch {
        active: Some(false),
        ..Default::default()
    };
    f.service.change_staff(pat.id, off).await.unwrap();
    assert_eq!(f.service.session_caller(&session).await.unwrap(), None);
    assert_eq!(f.service.token_caller(&token.secret).await.unwrap(), None);
    assert!(!f.service.still_admitted(&by_token).await.unwrap());
    let login = Login {
        email: "pat@example.com".into(),
        password: PASSWORD.into(),
    };
    assert_eq!(f.service.sign_in(&login).await, Err(AppError::Unauthorized));
    // Ended, not suspended: coming back needs a new sign-in and new tokens.
    let on = StaffPatch {
        active: Some(true),
        ..Default::default()
    };
    f.service.change_staff(pat.id, on).await.unwrap();
    assert_eq!(f.service.session_caller(&session).await.unwrap(), None);
    assert_eq!(f.service.token_caller(&token.secret).await.unwrap(), None);
    assert!(f.service.sign_in(&login).await.is_ok());
    // An unused set-password link ended with the deactivation.
    let again = f
        .service
        .set_password_with_link(SetPassword {
            token: link_token(&unused_link),
            password: PASSWORD.into(),
        })
        .await;
    refused_field(again, "token");
    // A token asking for a token is refused: tokens are made in a browser.
    assert_eq!(
        f.service
            .create_token(
                &by_token,
                NewApiToken {
                    name: "Copy".into(),
                    role: None
                }
            )
            .await,
        Err(AppError::Forbidden)
    );
}

pub async fn tokens_carry_at_most_their_holders_role(f: &Fixture) {
    f.service.set_admin_password(PASSWORD).await.unwrap();
    let (_, owner) = signed_in(f, "Olga Owner", "olga@example.com", Role::Owner).await;
    let (mia, manager) = signed_in(f, "Mia Manager", "mia@example.com", Role::Manager).await;
    let (_, packer) = signed_in(f, "Pat Packer", "pat@example.com", Role::Packer).await;
    let token = |role: Option<Role>| NewApiToken {
        name: "Integration".into(),
        role,
    };
    refused_field(
        f.service
            .create_token(&manager, token(Some(Role::Owner)))
            .await,
        "role",
    );
    refused_field(
        f.service
            .create_token(&packer, token(Some(Role::Viewer)))
            .await,
        "role",
    );
    let packers = f
        .service
        .create_token(&manager, token(Some(Role::Packer)))
        .await
        .unwrap();
    let own = f.service.create_token(&packer, token(None)).await.unwrap();
    // Each sees their own tokens; an owner sees everyone's.
    assert_eq!(
        f.service.tokens(&manager).await.unwrap(),
        vec![packers.token.clone()]
    );
    assert_eq!(f.service.tokens(&owner).await.unwrap().len(), 2);
    assert_eq!(
        f.service.revoke_token(&packer, packers.token.id).await,
        Err(AppError::not_found("token", packers.token.id))
    );
    // Used, it says when (at most once a minute).
    let by_token = f.service.token_caller(&own.secret).await.unwrap().unwrap();
    assert_eq!(by_token.role, Role::Packer);
    let mut used = None;
    for _ in 0..50 {
        used = f.service.tokens(&packer).await.unwrap()[0].last_used_at;
        if used.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(used.is_some(), "lastUsedAt is recorded");
    // A holder demoted below their token's role: the token is refused.
    assert!(f
        .service
        .token_caller(&packers.secret)
        .await
        .unwrap()
        .is_some());
    f.service
        .change_staff(
            mia.id,
            StaffPatch {
                role: Some(Role::Viewer),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(f.service.token_caller(&packers.secret).await.unwrap(), None);
    // The owner revokes anyone's.
    f.service.revoke_token(&owner, own.token.id).await.unwrap();
    assert_eq!(f.service.token_caller(&own.secret).await.unwrap(), None);
}

pub async fn staff_changes_are_logged_with_who_did_them(f: &Fixture) {
    f.service.set_admin_password(PASSWORD).await.unwrap();
    let (pat, packer) = signed_in(f, "Pat Packer", "pat@example.com", Role::Packer).await;
    let (mia, manager) = signed_in(f, "Mia Manager", "mia@example.com", Role::Manager).await;
    let token = f
        .service
        .create_token(
            &manager,
            NewApiToken {
                name: "Till".into(),
                role: None,
            },
        )
        .await
        .unwrap();
    let by_token = f
        .service
        .token_caller(&token.secret)
        .await
        .unwrap()
        .unwrap();
    let mug = f
        .service
        .add_product(
            NewProduct {
                name: "Mug".into(),
                sku: "MUG".into(),
                stock: 10,
                price: Money::from_cents(1250),
                low_stock_threshold: None,
            },
            manager.actor.clone(),
        )
        .await
        .unwrap();
    let c = customer(&f.service, "ada@example.com").await;
    let placed = f
        .service
        .place_order(order(&c, &[("MUG", 2)]), None, Actor::customer())
        .await
        .unwrap()
        .placed
        .order;
    f.service
        .change_status(placed.id, OrderStatus::Paid, by_token.actor.clone())
        .await
        .unwrap();
    f.service
        .ship(
            placed.id,
            NewShipment::default(),
            None,
            packer.actor.clone(),
        )
        .await
        .unwrap();
    f.service
        .update_product(
            mug.id,
            ProductUpdate {
                price: Some(Money::from_cents(1400)),
                stock_adjustment: Some(5),
                ..Default::default()
            },
            manager.actor.clone(),
        )
        .await
        .unwrap();

    let all = f
        .service
        .activity(None, None, Page::default())
        .await
        .unwrap();
    let seen: Vec<(ActivityKind, &str)> = all
        .iter()
        .map(|e| (e.kind, e.actor.name.as_str()))
        .collect();
    // Newest first; the customer's order is not staff activity; shipping
    // the last units then moved the order to FULFILLED.
    assert_eq!(
        seen,
        vec![
            (ActivityKind::Product, "Mia Manager"),
            (ActivityKind::Status, "Pat Packer"),
            (ActivityKind::Shipment, "Pat Packer"),
            (ActivityKind::Status, "Till (Mia Manager)"),
            (ActivityKind::Product, "Mia Manager"),
        ]
    );
    assert_eq!(
        all[0].summary,
        "Changed MUG: price $12.50 → $14.00, stock +5 (to 13)"
    );
    assert_eq!(all[2].order_number.as_deref(), Some(placed.number.as_str()));
    assert!(
        all[2].summary.starts_with("Shipped 2 × MUG"),
        "{}",
        all[2].summary
    );
    // By member: a manager's token counts as the manager.
    let mias = f
        .service
        .activity(Some(mia.id), None, Page::default())
        .await
        .unwrap();
    assert_eq!(mias.len(), 3);
    let pats = f
        .service
        .activity(Some(pat.id), None, Page::default())
        .await
        .unwrap();
    assert_eq!(pats.len(), 2);
    let statuses = f
        .service
        .activity(None, Some(ActivityKind::Status), Page::default())
        .await
        .unwrap();
    assert_eq!(statuses.len(), 2);
    // Paged by cursor, like the order list.
    let first = Page {
        limit: 2,
        before: None,
    };
    let one = f.service.activity(None, None, first).await.unwrap();
    let two = f
        .service
        .activity(
            None,
            None,
            Page {
                limit: 2,
                before: one.last().map(|e| e.id),
            },
        )
        .await
        .unwrap();
    assert_eq!([one, two].concat(), all[..4].to_vec());
}
