//! The admin dashboard's figures.

use super::Service;
use crate::domain::{
    shop_time, AppError, Currency, Dashboard, DayTotal, Money, OrderFilter, OrderStatus, Product,
    Timestamp,
};

impl Service {
    /// The dashboard as of `now`: today, the last 7 and 30 days, the order
    /// backlog and the products running out.
    pub async fn dashboard(&self, now: Timestamp) -> Result<Dashboard, AppError> {
        // The shop's last 30 calendar days, today last.
        let (y, m, d) = shop_time::date_of(now);
        let today = Timestamp::from_date(y, m, d);
        let mut days: Vec<DayTotal> = (-29..=0)
            .map(|i| {
                let (y, m, d) = today.plus_days(i).date();
                DayTotal {
                    day: shop_time::day_starts(y, m, d),
                    ..Default::default()
                }
            })
            .collect();
        let totals = self.store.quarter_hour_order_totals(days[0].day).await?;
        let mut awaiting_payment_total = Money::default();
        for total in &totals {
            let index = days
                .partition_point(|day| day.day <= total.from)
                .checked_sub(1);
            if let Some(day) = index.and_then(|i| days.get_mut(i)) {
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
