terraform {
  required_providers {
    cpi = {
      source  = "cpi-renewal/cpi"
      version = "0.1.0"
    }
  }
}

# Credentials come from the environment in pipelines:
#   CPI_SERVICE_KEY (the service key JSON of a Process Integration Runtime "api" instance), or
#   CPI_TENANT_URL with CPI_USERNAME and CPI_PASSWORD.
provider "cpi" {}
