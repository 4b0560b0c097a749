// Filled in by the service-layer change.
