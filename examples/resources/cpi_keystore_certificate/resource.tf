# The receiver's encryption certificate under the alias its SOAP receiver channel uses.
# Changing certificate_pem exchanges the certificate in place, keeping the alias.
resource "cpi_keystore_certificate" "orders_receiver" {
  alias           = "orders_receiver_enc"
  certificate_pem = file("${path.module}/orders-receiver-2026.pem")
}
