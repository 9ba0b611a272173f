#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktJSON
import RktOS

/// The second half of `rkt run` and all of `run-prepared` after the state change: set up the
/// pod's filesystem, then `execve` the stage1 `run` entrypoint (rkt-architecture.md §1.2 step 13,
/// §3.2; rkt: stage0/run.go `Run`). Never returns on success.
public struct Stage1Handoff {
    public var context: Stage0Context
    public var pod: Pod
    public var options: RunOptions
    public var dns: PodDNS
    /// `rkt run` always passes `--local-config`; `run-prepared` does not (rkt-architecture.md §11.7).
    public var passLocalConfig: Bool
    /// `run-prepared` accepts `--ipc` but does not forward it (§11.7).
    public var forwardIPC: Bool
    public var timer: PhaseTimer

    public init(context: Stage0Context, pod: Pod, options: RunOptions, dns: PodDNS, passLocalConfig: Bool,
                forwardIPC: Bool, timer: PhaseTimer) {
        self.context = context
        self.pod = pod
        self.options = options
        self.dns = dns
        self.passLocalConfig = passLocalConfig
        self.forwardIPC = forwardIPC
        self.timer = timer
    }

    public func run() throws -> Never {
        let dir = pod.path
        let apps = try appNames()
        guard !apps.isEmpty else { throw RktError("pod must contain at least one application") }
        let s1Rootfs = "\(dir)/\(PodFile.stage1Rootfs)"
        if pod.usesOverlay {
            try mountOverlays(apps: apps)
        }
        for app in apps { try ensureMtab(rootfs: "\(s1Rootfs)/\(Stage1Path.appRootfs(app))") }
        try writeDNSFiles(stage1Rootfs: s1Rootfs)
        timer.mark("overlay")

        if options.mdsRegister {
            // NEEDS: metadata service registration (rkt-architecture.md §8.6).
            throw RktError("failed to register the pod with the metadata service",
                           causes: ["metadata service registration is not supported"])
        }
        guard chdir(dir) == 0 else { throw RktError.errno("cannot change directory to", dir) }
        let stage1 = try pod.stage1()
        let entrypoint = try stage1.entrypoint(Stage1Annotation.run)
        var args = Stage1RunArgs(uuid: pod.uuid)
        args.debug = context.debug
        args.net = options.net.isEmpty ? ["default"] : options.net.map(\.flagValue)
        args.interactive = options.interactive
        args.privateUsers = privateUsers()
        if passLocalConfig { args.localConfig = context.localConfigDir }
        args.hostname = options.hostname
        args.dnsConfMode = DNSConfMode(resolv: dns.resolvMode, hosts: dns.hostsMode)
        args.disableCapabilities = context.insecure.skipCapabilities
        args.disablePaths = context.insecure.skipPaths
        args.disableSeccomp = context.insecure.skipSeccomp
        if forwardIPC { args.ipc = options.ipc }
        let (argv, warnings) = args.argv(interfaceVersion: stage1.interfaceVersion)
        for w in warnings { context.warn(w) }

        var env = Environment.current().filter {
            !$0.hasPrefix(Stage1Env.lockFD + "=") && !$0.hasPrefix(Stage1Env.selinuxContext + "=")
                && !$0.hasPrefix(Stage1Env.selinuxMountContext + "=")
        }
        env.append("\(Stage1Env.lockFD)=\(pod.lockFD)")
        env.append("\(Stage1Env.selinuxContext)=")
        env.append("\(Stage1Env.selinuxMountContext)=")
        try pod.keepLockAcrossExec()
        context.log("execing \(([entrypoint] + argv).joined(separator: " "))")
        timer.mark("stage1 exec")
        try Exec.execve(entrypoint, argv: [entrypoint] + argv, env: env)
    }

    /// App names from the pod manifest (`pod`), in order.
    func appNames() throws -> [String] {
        let path = pod.file(PodFile.manifest)
        do {
            return try decodeJSON(PodManifest.self, from: try FileIO.readFile(path)).apps.map(\.name)
        } catch {
            throw RktError("cannot get the pod manifest \(path)", cause: error)
        }
    }

    func privateUsers() -> String? {
        guard let s = try? FileIO.readString(pod.file(PodFile.privateUsersPrepared)) else { return nil }
        let t = s.trimmingSpaces()
        return t.isEmpty ? nil : t
    }

    /// stage1 and app overlays in the caller's mount namespace; `rkt gc` unmounts them.
    func mountOverlays(apps: [String]) throws {
        let dir = pod.path
        guard let s1ID = pod.stage1TreeStoreID() else {
            throw RktError("cannot read stage1 tree store id \(pod.file(PodFile.stage1TreeStoreID))")
        }
        let tree = "\(context.casDir)/tree"
        let s1Rootfs = "\(dir)/\(PodFile.stage1Rootfs)"
        try FileSystem.mkdirAll("\(dir)/\(PodFile.overlay)", mode: 0o755)
        _ = chmod("\(dir)/\(PodFile.overlay)", 0o755)  // drop an inherited setgid bit, as rkt does
        var treeIDs: [String] = []
        for app in apps {
            let idPath = "\(dir)/\(PodFile.appsInfo)/\(app)/treeStoreID"
            do {
                treeIDs.append(try FileIO.readString(idPath).trimmingSpaces())
            } catch {
                throw RktError("cannot read tree store id of app \(app)", cause: error)
            }
        }
        // What stage0 adds to the stage1 rootfs goes straight into the upper directory, before the
        // mount: written through the overlay, each parent (rkt, opt, opt/stage2) would first be
        // copied up, a temporary inode and a rename in the work directory each. rkt/status must
        // be in the upper dir anyway: readers find the apps' exit codes there.
        let s1Upper = "\(dir)/overlay/\(s1ID)/upper"
        try FileSystem.mkdirAll("\(s1Upper)/\(Stage1Path.status)", mode: 0o755)
        for app in apps {
            try FileSystem.mkdirAll("\(s1Upper)/\(Stage1Path.appRootfs(app))", mode: 0o755)
            // The same bytes as appsinfo/<app>/manifest, which nothing rewrites: one inode for both.
            try FileSystem.linkOrCopy(
                from: "\(dir)/\(PodFile.appsInfo)/\(app)/manifest", to: "\(s1Upper)/\(Stage1Path.appManifest(app))")
        }
        try OverlaySupport.mount(
            lower: "\(tree)/\(s1ID)/rootfs", upper: s1Upper,
            work: "\(dir)/overlay/\(s1ID)/work", target: s1Rootfs)
        for (app, treeID) in zip(apps, treeIDs) {
            try OverlaySupport.mount(
                lower: "\(tree)/\(treeID)/rootfs", upper: "\(dir)/overlay/\(treeID)/upper/\(app)",
                work: "\(dir)/overlay/\(treeID)/work/\(app)", target: "\(s1Rootfs)/\(Stage1Path.appRootfs(app))")
        }
    }

    /// An image with `/etc` but no `/etc/mtab` gets `etc/mtab → ../proc/self/mounts`.
    func ensureMtab(rootfs: String) throws {
        guard FileSystem.isDirectory("\(rootfs)/etc") else { return }
        let mtab = "\(rootfs)/etc/mtab"
        if try FileSystem.lstatIfExists(mtab) != nil { return }
        try FileSystem.symlink(target: "../proc/self/mounts", at: mtab)
    }

    /// `etc/rkt-resolv.conf` and `etc/rkt-hosts` in the stage1 rootfs when stage0 owns them.
    func writeDNSFiles(stage1Rootfs: String) throws {
        if dns.resolvMode == "stage0" {
            try FileSystem.mkdirAll("\(stage1Rootfs)/etc", mode: 0o755)
            try FileIO.writeFile("\(stage1Rootfs)/\(Stage1Path.resolvConf)", dns.resolvConf, mode: 0o644)
        }
        if dns.hostsMode == "stage0" {
            let fallback = (try? FileIO.readString("\(stage1Rootfs)/\(Stage1Path.hostsFallback)")) ?? ""
            try FileSystem.mkdirAll("\(stage1Rootfs)/etc", mode: 0o755)
            try FileIO.writeFile("\(stage1Rootfs)/\(Stage1Path.hosts)", dns.hostsFile(fallback: fallback), mode: 0o644)
        }
    }
}
