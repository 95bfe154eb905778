"""Orders: ids, validation against the contract and the catalog, the timeouts an order runs with,
who may see an order, and the service the API calls."""
