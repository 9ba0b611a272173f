#if canImport(Glibc)
import Glibc
#endif

// NEEDS: CShim wrappers `rkt_fsetxattr`, `rkt_flistxattr`, `rkt_fgetxattr`, `rkt_syncfs`. Swift's
// Glibc module does not include <sys/xattr.h> and hides GNU-only calls such as syncfs, so until
// CShim exports them the store looks the libc symbols up once at run time.

enum StoreLibc {
    typealias FSetXattr = @convention(c) (Int32, UnsafePointer<CChar>?, UnsafeRawPointer?, Int, Int32) -> Int32
    typealias FListXattr = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int
    typealias FGetXattr = @convention(c) (Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, Int) -> Int
    typealias SyncFS = @convention(c) (Int32) -> Int32

    private static func symbol<T>(_ name: String, as: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let p = dlsym(handle, name) else { return nil }
        return unsafeBitCast(p, to: T.self)
    }

    nonisolated(unsafe) static let fsetxattrFn = symbol("fsetxattr", as: FSetXattr.self)
    nonisolated(unsafe) static let flistxattrFn = symbol("flistxattr", as: FListXattr.self)
    nonisolated(unsafe) static let fgetxattrFn = symbol("fgetxattr", as: FGetXattr.self)
    nonisolated(unsafe) static let syncfsFn = symbol("syncfs", as: SyncFS.self)

    static func fsetxattr(_ fd: Int32, _ name: String, _ value: UnsafeRawPointer?, _ size: Int) -> Int32 {
        guard let f = fsetxattrFn else { errno = ENOSYS; return -1 }
        return f(fd, name, value, size, 0)
    }

    static func flistxattr(_ fd: Int32, _ list: UnsafeMutablePointer<CChar>?, _ size: Int) -> Int {
        guard let f = flistxattrFn else { errno = ENOSYS; return -1 }
        return f(fd, list, size)
    }

    static func fgetxattr(_ fd: Int32, _ name: String, _ value: UnsafeMutableRawPointer?, _ size: Int) -> Int {
        guard let f = fgetxattrFn else { errno = ENOSYS; return -1 }
        return f(fd, name, value, size)
    }

    static func syncfs(_ fd: Int32) {
        if let f = syncfsFn { _ = f(fd) }
    }
}
