-- orders_clean.sql plus the `channel` column the shop's export gained on 2024-03-04.
SELECT
  order_id,
  customer_id,
  lower(trim(status)) AS status,
  amount,
  ordered_at,
  updated_at,
  upper(op) AS op,
  lower(trim(channel)) AS channel
FROM source
