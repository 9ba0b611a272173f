print("fly")
