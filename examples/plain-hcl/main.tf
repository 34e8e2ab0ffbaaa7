# The cpi provider from plain Terraform, without the constructs: the exchange stage of an overlap renewal in one
# configuration. Install the provider first (`cpi-renewal provider install`, into ~/.terraform.d/plugins) so that
# `terraform init` finds it with no CLI configuration. Tenant URL and credentials come from CPI_TENANT_URL,
# CPI_USERNAME and CPI_PASSWORD (or CPI_SERVICE_KEY).

terraform {
  required_version = ">= 1.5" # import blocks
  required_providers {
    cpi = {
      source  = "cpi-renewal/cpi"
      version = "0.1.0"
    }
  }
}

provider "cpi" {}

variable "receiver_url" {
  type    = string
  default = "http://127.0.0.1:8081"
}

# The receiver's new key pair, generated inside the receiver; the old key stays active (overlap).
resource "cpi_receiver_key" "new" {
  key_name = "orders-2026"
  subject  = "CN=orders-receiver-2026,O=Example"
  state    = "active"
  receiver {
    kind = "embedded"
    url  = var.receiver_url
  }
}

# The hand-over: the receiver must decrypt a canary encrypted for the new certificate, or its administrator
# confirms with `cpi-renewal confirm --renewal orders-2026 --gate exchange-certificate --party receiver-admin ...
# --unchecked` (--unchecked: a gate in plain HCL has no renewal manifest to check gate and party against).
resource "cpi_renewal_gate" "exchange" {
  renewal_id          = "orders-2026"
  gate                = "exchange-certificate"
  waits_for           = ["receiver-admin"]
  mode                = "any"
  confirmations_dir   = "renewals/orders-2026/confirmations"
  new_certificate_pem = cpi_receiver_key.new.certificate_pem

  receiver {
    kind = "embedded"
    url  = var.receiver_url
  }

  requirement {
    kind = "probe"
  }
  requirement {
    kind  = "confirmation"
    party = "receiver-admin"
  }
}

# The tenant already holds the old certificate under the alias: adopt it, then exchange it in place.
import {
  to = cpi_keystore_certificate.receiver
  id = "receiver_encryption"
}

resource "cpi_keystore_certificate" "receiver" {
  alias           = "receiver_encryption"
  certificate_pem = cpi_receiver_key.new.certificate_pem
  depends_on      = [cpi_renewal_gate.exchange]
}

output "fingerprint_sha256" {
  value = cpi_keystore_certificate.receiver.fingerprint_sha256
}
