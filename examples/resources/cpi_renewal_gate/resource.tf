# The gate in front of the exchange stage of an overlap renewal: opens when the receiver really decrypts a canary
# encrypted for the new certificate, or when the receiver administrator has committed a confirmation
# (cpi-renewal confirm --renewal orders-2026 --gate exchange-certificate --party receiver-admin ...).
resource "cpi_renewal_gate" "exchange" {
  renewal_id = "orders-2026"
  gate       = "exchange-certificate"
  waits_for  = ["receiver-admin"]
  action     = "make the receiver decrypt with the new key as well as the old one"
  mode       = "any"

  probe {
    certificate_pem = var.new_certificate_pem
    receiver {
      kind = "embedded"
      url  = "http://127.0.0.1:8081"
    }
  }

  confirmation {
    party              = "receiver-admin"
    fingerprint_sha256 = var.new_fingerprint_sha256
  }
}
