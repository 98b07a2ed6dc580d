//! The admin dashboard's figures.

use super::Service;
use crate::domain::{
    AppError, Currency, Dashboard, DayTotal, Money, OrderFilter, OrderStatus, Product, Timestamp,
};

impl Service {
    /// The dashboard as of `now`: today, the last 7 and 30 days, the order
    /// backlog and the products running out.
    pub async fn dashboard(&self, now: Timestamp) -> Result<Dashboard, AppError> {
        let today = now.start_of_day();
        let first_day = today.plus_days(-29);
        let totals = self.store.daily_order_totals(first_day).await?;
        let mut days: Vec<DayTotal> = (0..30)
            .map(|i| DayTotal {
                day: first_day.plus_days(i),
                ..Default::default()
            })
            .collect();
        let mut awaiting_payment_total = Money::default();
        for total in &totals {
            let index = ((total.day.millis() - first_day.millis()) / 86_400_000) as usize;
            if let Some(day) = days.get_mut(index) {
                day.orders += total.orders;
                if total.status.counts_as_revenue() {
                    let kept = Money::from_cents(total.total.cents() - total.refunded.cents());
                    day.revenue = day.revenue.checked_add(kept).ok_or(AppError::Internal)?;
                } else if total.status == OrderStatus::Pending {
                    awaiting_payment_total = awaiting_payment_total
                        .checked_add(total.total)
                        .ok_or(AppError::Internal)?;
                }
            }
        }
        let mut by_status = Vec::new();
        for status in OrderStatus::ALL {
            let filter = OrderFilter {
                status: Some(status),
                ..Default::default()
            };
            by_status.push((status, self.store.count_orders(&filter).await?));
        }
        let count = |wanted: OrderStatus| {
            by_status
                .iter()
                .find(|(s, _)| *s == wanted)
                .map_or(0, |(_, n)| *n)
        };
        let last = days.last().cloned().unwrap_or_default();
        let revenue_last_7_days = days[23..]
            .iter()
            .try_fold(Money::default(), |sum, d| sum.checked_add(d.revenue))
            .ok_or(AppError::Internal)?;
        let mut low_stock: Vec<Product> = self
            .store
            .products(None)
            .await?
            .into_iter()
            .filter(Product::is_low_on_stock)
            .collect();
        low_stock.sort_by_key(|p| p.stock);
        Ok(Dashboard {
            currency: Currency::shop(),
            orders_today: last.orders,
            revenue_today: last.revenue,
            revenue_last_7_days,
            awaiting_fulfilment: count(OrderStatus::Paid),
            awaiting_payment: count(OrderStatus::Pending),
            awaiting_payment_total,
            low_stock,
            days,
            by_status,
        })
    }
}
