# Expiry monitoring: receiver certificates that expire within 60 days.
data "cpi_keystore_entries" "expiring" {
  alias_prefix         = "orders_"
  expiring_within_days = 60
}

output "expiring_aliases" {
  value = [for e in data.cpi_keystore_entries.expiring.entries : "${e.alias} expires ${e.valid_not_after}"]
}
