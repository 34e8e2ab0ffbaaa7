# The import ID is the keystore alias.
terraform import cpi_keystore_certificate.orders_receiver orders_receiver_enc
