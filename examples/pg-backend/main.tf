# The tenant administrator's exchange stage with its state in PostgreSQL, so that every pipeline that applies this
# stage shares one state and one lock. Give the connection from the pipeline's secrets, never in this file (it
# carries a password), and as a variable rather than -backend-config, which is saved in .terraform/ in plain text:
#   export PG_CONN_STR='postgres://user:pass@db.example.com/terraform_state'
#   export PG_SCHEMA_NAME='cpi_orders_2026'   # one schema per renewal, the same in every pipeline
#   terraform init && terraform apply -lock-timeout=10m
# See README.md for how the lock behaves and what to do when a run leaves it behind.

terraform {
  required_version = ">= 1.11"
  required_providers {
    cpi = {
      source  = "cpi-renewal/cpi"
      version = "0.1.0"
    }
  }
  # Partial configuration: conn_str and schema_name come from PG_CONN_STR and PG_SCHEMA_NAME.
  backend "pg" {}
}

# Tenant URL and credentials come from CPI_TENANT_URL with CPI_USERNAME and CPI_PASSWORD, or CPI_SERVICE_KEY.
provider "cpi" {}

variable "alias" {
  description = "Keystore alias that the SOAP receiver channel encrypts for (Public Key Alias for Encryption)."
  type        = string
  default     = "orders_receiver_enc"
}

variable "certificate_file" {
  description = "The receiver's new certificate (PEM), as its administrator handed it over."
  type        = string
  default     = "orders-receiver-2026.pem"
}

variable "iflow_id" {
  description = "The iFlow whose receiver channel encrypts for the alias; it must be running after the stage."
  type        = string
  default     = "OrderToReceiver"
}

# The certificate under the alias. A new file exchanges it in place, keeping the alias.
resource "cpi_keystore_certificate" "receiver" {
  alias           = var.alias
  certificate_pem = file(var.certificate_file)
}

# The iFlow that encrypts with it, deployed once the certificate is in place.
resource "cpi_iflow_deployment" "orders" {
  iflow_id   = var.iflow_id
  deployed   = true
  depends_on = [cpi_keystore_certificate.receiver]
}

output "fingerprint_sha256" {
  value = cpi_keystore_certificate.receiver.fingerprint_sha256
}

output "iflow_status" {
  value = cpi_iflow_deployment.orders.status
}
