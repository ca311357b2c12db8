"""Exchange with peers (central server, other hubs, USB bundles). Grows with the sync issue."""
