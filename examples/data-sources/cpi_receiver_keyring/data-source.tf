data "cpi_receiver_keyring" "orders" {
  receiver {
    kind = "embedded"
    url  = "http://127.0.0.1:8081"
  }
}

output "active_keys" {
  value = [for k in data.cpi_receiver_keyring.orders.keys : k.name if k.state == "active"]
}
