// swift-tools-version: 6.0
// rkt, rebuilt in Swift. One manifest; every target names its folder with `path:` so the
// staged layout (stage0/, stage1/, stage1-fly/, shared/) stays visible at the top level.
//
// Dependency rules (see docs/hacking.md):
//   RktJSON, RktCommon        depend on nothing of ours; Foundation-free (stage1 links them)
//   RktOS                     RktCommon + C shims + swift-system; Foundation-free
//   Stage0Core                RktOS + CArchive + CSQLite + CLibcrypto; Foundation-free (the `rkt` binary)
//   Stage0                    Stage0Core + Crypto + AsyncHTTPClient/NIOSSL (Foundation allowed; `rkt-full`)
//   Stage1, Stage1Fly         RktOS only; never Stage0, Foundation or libarchive
//   executables               glue only
import PackageDescription

/// Release executables link with lld and packed relative relocations (DT_RELR, glibc ≥ 2.36):
/// gold's 2.9 MB `.rela.dyn` (122,000 relative relocations of the position-independent rkt) was
/// read in full by ld.so at every start, and lld also keeps read-only data out of the text
/// segment. The executables stay position-independent, so ASLR covers them. `-z now` binds every
/// libc symbol at start (full RELRO): an idle init or pod-init otherwise ran ld.so's lazy binding
/// in its wait loop, paging ld.so and libc's symbol tables back in after `IdleMemory` dropped them.
let releaseLink: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "-z", "-Xlinker", "now"],
                 .when(configuration: .release)),
]
/// Every executable links statically, glibc included, as static PIE (still under ASLR): no ld.so
/// and no shared libraries to look up, map and bind at each start. About 1 ms per stage1 process
/// (whose start happens inside the pod's overlay rootfs) and 1.4 ms per `rkt` (docs/performance.md).
/// None uses dlopen or iconv beyond glibc's built-in charsets. Name lookups are glibc's static
/// NSS: `files` and `dns`, built in; other modules (sss, ldap, systemd, mymachines) are not loaded.
/// stage1 looks up no host names at all; `rkt` only the hosts it fetches from. Needs lld
/// (`releaseLink`).
let staticPIE: [LinkerSetting] = [
    .unsafeFlags(["-static-executable", "-Xclang-linker", "-static-pie"], .when(configuration: .release)),
]
/// Each stage0 executable's code laid out in the order its common commands first run it (`make
/// order`, scripts/profile-order.sh): the functions a command needs share pages instead of
/// faulting in pages all over the text (docs/performance.md).
func symbolOrder(_ folder: String) -> [LinkerSetting] {
    [.unsafeFlags(["-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/\(folder)/rkt.order",
                   "-Xlinker", "--no-warn-symbol-ordering"], .when(configuration: .release))]
}

let package = Package(
    name: "rkt",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rkt", targets: ["rkt"]),
        .executable(name: "rkt-stage1", targets: ["rkt-stage1"]),
        .executable(name: "rkt-stage1-fly", targets: ["rkt-stage1-fly"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Already pulled in by async-http-client; named so Stage0 can set TLS trust roots.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // C system libraries (Debian -dev packages).
        .systemLibrary(name: "CSeccomp", path: "shared/CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CCap", path: "shared/CCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .systemLibrary(name: "CArchive", path: "shared/CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CLibcrypto", path: "shared/CLibcrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", path: "shared/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Our C: thin wrappers for variadic/hidden syscalls, and the only code that runs between clone and exec.
        .target(name: "CShim", path: "shared/CShim", cSettings: [.define("_GNU_SOURCE")]),
        .target(name: "CSpawn", path: "shared/CSpawn", cSettings: [.define("_GNU_SOURCE")]),

        // Shared Swift (Foundation-free).
        .target(name: "RktJSON", path: "shared/RktJSON"),
        .target(name: "RktCommon", dependencies: ["RktJSON"], path: "shared/RktCommon"),
        .target(
            name: "RktOS",
            dependencies: [
                "RktCommon", "CShim", "CSpawn", "CSeccomp", "CCap",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "shared/RktOS"),

        // stage0, in two executables (docs/hacking.md "Two stage0 binaries"): `rkt` runs pods from
        // images already in the store with Stage0Core alone (no Foundation, no network stack), and
        // execs `rkt-full` for every other command and for runs that must fetch.
        .target(
            name: "Stage0Core",
            dependencies: ["RktOS", "CArchive", "CSQLite", "CLibcrypto", "CShim"],
            path: "stage0/Stage0Core"),
        .target(
            name: "Stage0",
            dependencies: [
                "Stage0Core", "RktOS", "CArchive", "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "stage0/Stage0"),
        .executableTarget(
            name: "rkt",
            dependencies: ["Stage0Core"],
            path: "stage0/rkt",
            exclude: ["rkt.order"],
            linkerSettings: releaseLink + symbolOrder("stage0/rkt") + staticPIE),
        .executableTarget(
            name: "rkt-full",
            dependencies: ["Stage0", "Stage0Core", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "stage0/rkt-full",
            exclude: ["rkt.order"],
            linkerSettings: releaseLink + symbolOrder("stage0/rkt-full") + staticPIE),

        // stage1 flavors: one multi-call binary each, dispatched on argv[0].
        .target(name: "Stage1", dependencies: ["RktOS", "Stage1Net"], path: "stage1/Stage1"),
        .executableTarget(name: "rkt-stage1", dependencies: ["Stage1"], path: "stage1/rkt-stage1", linkerSettings: releaseLink + staticPIE),
        .target(name: "Stage1Fly", dependencies: ["RktOS"], path: "stage1-fly/Stage1Fly"),
        // Pod networking through CNI plugins (used by the full stage1's init and gc).
        .target(name: "Stage1Net", dependencies: ["RktOS", "CShim"], path: "stage1/Stage1Net"),
        .executableTarget(name: "rkt-stage1-fly", dependencies: ["Stage1Fly"], path: "stage1-fly/rkt-stage1-fly",
                         linkerSettings: releaseLink + staticPIE),

        // Tests: units (Swift Testing) and functional tests that drive build/bin/rkt as root.
        .testTarget(name: "RktCommonTests", dependencies: ["RktCommon", "RktJSON"], path: "Tests/RktCommonTests"),
        .target(name: "RktTestSupport", dependencies: ["RktOS"], path: "Tests/RktTestSupport"),
        .testTarget(name: "RktOSTests", dependencies: ["RktOS", "RktTestSupport"], path: "Tests/RktOSTests"),
        .testTarget(name: "Stage0Tests", dependencies: ["Stage0", "Stage0Core", "CSQLite"], path: "Tests/Stage0Tests"),
        .testTarget(name: "RktCLITests", dependencies: ["rkt-full"], path: "Tests/RktCLITests"),
        .testTarget(name: "Stage1Tests", dependencies: ["Stage1", "Stage1Fly", "RktTestSupport"], path: "Tests/Stage1Tests"),
        .testTarget(name: "Stage1NetTests", dependencies: ["Stage1Net"], path: "Tests/Stage1NetTests"),
        .testTarget(name: "FunctionalTests", dependencies: [], path: "Tests/FunctionalTests", exclude: []),
    ]
)
