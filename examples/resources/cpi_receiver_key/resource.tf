# The receiver's new decryption key, generated inside its PKCS#12 keystore (the private key never reaches
# Terraform). The keystore password comes from CPI_RECEIVER_KEYSTORE_PASSWORD.
resource "cpi_receiver_key" "orders_2026" {
  key_name = "orders-2026"
  subject  = "CN=orders-receiver-2026,O=Example"
  state    = "active" # later "retired": kept for 90 days, then it may be destroyed

  receiver {
    kind          = "pkcs12"
    keystore_path = "/etc/receiver/decrypt.p12"
    archive_path  = "/etc/receiver/retired.p12"
  }
}

output "certificate_for_the_tenant" {
  value = cpi_receiver_key.orders_2026.certificate_pem
}
