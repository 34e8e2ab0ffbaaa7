# The import ID names the key and where it lives (an import gets no configuration).
terraform import cpi_receiver_key.orders_2025 '{"key_name":"orders-2025","receiver":{"kind":"embedded","url":"http://127.0.0.1:8081"}}'
