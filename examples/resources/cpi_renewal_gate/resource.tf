# The gate in front of the exchange stage of an overlap renewal: opens when the receiver really decrypts a canary
# encrypted for the new certificate, or when the receiver administrator has committed a confirmation naming it
# (cpi-renewal confirm --renewal orders-2026 --gate exchange-certificate --party receiver-admin ... --unchecked;
# --unchecked because a gate written in HCL, not by the construct, has no renewal manifest to check against).
# Each `requirement` says what must hold; the attributes beside them are the renewal's values they refer to.
resource "cpi_renewal_gate" "exchange" {
  renewal_id          = "orders-2026"
  gate                = "exchange-certificate"
  waits_for           = ["receiver-admin"]
  mode                = "any"
  new_certificate_pem = var.new_certificate_pem

  receiver {
    kind = "embedded"
    url  = "http://127.0.0.1:8081"
  }

  requirement {
    kind = "probe"
  }
  requirement {
    kind  = "confirmation"
    party = "receiver-admin"
  }
}
