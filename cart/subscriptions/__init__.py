"""定期購入: subscriptions of members, their changes, and the due runs that order and authorise
their repeat deliveries by PAYGENT file payment (seed 002)."""
