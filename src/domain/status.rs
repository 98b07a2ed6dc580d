//! The order lifecycle: PENDING → PAID → FULFILLED, with CANCELLED reachable
//! from PENDING and PAID. FULFILLED and CANCELLED are final.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum OrderStatus {
    Pending,
    Paid,
    Fulfilled,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 4] = [
        OrderStatus::Pending,
        OrderStatus::Paid,
        OrderStatus::Fulfilled,
        OrderStatus::Cancelled,
    ];

    /// The statuses an order in this status may move to next.
    pub fn next_statuses(self) -> &'static [OrderStatus] {
        use OrderStatus::*;
        match self {
            Pending => &[Paid, Cancelled],
            Paid => &[Fulfilled, Cancelled],
            Fulfilled | Cancelled => &[],
        }
    }

    pub fn can_move_to(self, to: OrderStatus) -> bool {
        self.next_statuses().contains(&to)
    }

    pub fn is_final(self) -> bool {
        self.next_statuses().is_empty()
    }

    /// Whether an order in this status is money the shop has received and
    /// keeps: PAID and FULFILLED (not PENDING, not CANCELLED).
    pub fn counts_as_revenue(self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::Fulfilled)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Paid => "PAID",
            OrderStatus::Fulfilled => "FULFILLED",
            OrderStatus::Cancelled => "CANCELLED",
        }
    }
}

impl OrderStatus {
    /// In words, for pages and the timeline.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Pending => "Pending",
            OrderStatus::Paid => "Paid",
            OrderStatus::Fulfilled => "Fulfilled",
            OrderStatus::Cancelled => "Cancelled",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    #[test]
    fn transition_table() {
        let allowed = [
            (Pending, Paid),
            (Pending, Cancelled),
            (Paid, Fulfilled),
            (Paid, Cancelled),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(
                    from.can_move_to(to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
        assert!(Fulfilled.is_final() && Cancelled.is_final());
        assert!(!Pending.is_final() && !Paid.is_final());
    }

    #[test]
    fn names_are_the_seed_enum() {
        for s in OrderStatus::ALL {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
            assert_eq!(s.as_str().parse::<OrderStatus>(), Ok(s));
        }
        assert!("paid".parse::<OrderStatus>().is_err());
    }
}
