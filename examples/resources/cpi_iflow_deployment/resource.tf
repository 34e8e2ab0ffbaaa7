# Undeploy during the agreed downtime window of a single-key renewal; set back to true to redeploy.
resource "cpi_iflow_deployment" "orders" {
  iflow_id = "OrderToReceiver"
  deployed = false
}
