# The import ID is the integration flow's artifact ID.
terraform import cpi_iflow_deployment.orders OrderToReceiver
