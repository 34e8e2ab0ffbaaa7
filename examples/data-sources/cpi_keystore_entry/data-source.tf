data "cpi_keystore_entry" "orders_receiver" {
  alias = "orders_receiver_enc"
}

output "orders_receiver_fingerprint" {
  value = data.cpi_keystore_entry.orders_receiver.fingerprint_sha256
}
