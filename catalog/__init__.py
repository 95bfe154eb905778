"""The catalog proper: items, each customer's assortment and prices, rights, configurations, quality
rules and sub-assortments; catalog versions (versions/) and files in and out (exchange/). Customers
and framework contracts have packages of their own (customers/, contracts/)."""
