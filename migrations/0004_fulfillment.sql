-- Orders that leave the building: where an order goes, in which currency it
-- was placed, and what happened after (shipments, returns, refunds, notes,
-- and the retry keys of the commands that recorded them) as JSON next to
-- the order, as MongoDB embeds them. Refunded total and the payment and
-- fulfillment statuses are derived from those and kept for lists' filters
-- and sums. An order from before has none of it: what it says of payment
-- and shipping follows from its status and payment flag.
ALTER TABLE orders ADD COLUMN shipping_address TEXT;
ALTER TABLE orders ADD COLUMN currency TEXT;
ALTER TABLE orders ADD COLUMN activity TEXT;
ALTER TABLE orders ADD COLUMN refunded_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN payment_status TEXT NOT NULL DEFAULT 'UNPAID';
ALTER TABLE orders ADD COLUMN fulfillment_status TEXT NOT NULL DEFAULT 'UNFULFILLED';

UPDATE orders SET
    payment_status = CASE WHEN payment_received = 1 THEN 'PAID' ELSE 'UNPAID' END,
    fulfillment_status = CASE WHEN status = 'FULFILLED' THEN 'FULFILLED' ELSE 'UNFULFILLED' END;
