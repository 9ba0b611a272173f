// placeholder: replaced by the RktOS implementation
