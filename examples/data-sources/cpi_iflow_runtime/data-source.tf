data "cpi_iflow_runtime" "orders" {
  iflow_id = "OrderToReceiver"
}

output "orders_status" {
  value = data.cpi_iflow_runtime.orders.status
}
