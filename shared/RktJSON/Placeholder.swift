// placeholder: replaced by the RktJSON implementation
