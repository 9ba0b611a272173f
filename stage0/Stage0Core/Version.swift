/// Version reported by `rkt version` and used as the default stage1 image version.
public enum RktVersion {
    public static let string = "1.30.0+swift"
    public static let appcVersion = "0.8.11"
}
