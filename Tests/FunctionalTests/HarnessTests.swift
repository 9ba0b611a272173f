import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The harness and the test images themselves: these run without rkt, so a broken harness shows
/// up as its own failure rather than as every functional test failing at once.
@Suite("Functional-test harness")
struct HarnessTests {
    @Test("the inspect, busybox, empty and stub stage1 images are valid ACIs")
    func imagesValidate() throws {
        for aci in [try TestImages.inspect(), try TestImages.busybox(), try TestImages.empty(), try TestImages.stubStage1()] {
            let r = try runCommand("/usr/bin/actool", ["validate", aci])
            #expect(r.exit == 0, "actool validate \(aci): \(r)")
        }
    }

    @Test("every compression of an image is a valid ACI and decompresses to the same tar")
    func compressions() throws {
        let plain = try TestImages.inspect(compression: .none) { $0.name = "example.com/compressed" }
        let plainBytes = try Data(contentsOf: URL(fileURLWithPath: plain))
        for c in ACICompression.allCases where c != .none {
            let aci = try TestImages.inspect(compression: c) { $0.name = "example.com/compressed" }
            #expect(aci != plain)
            let r = try runCommand("/usr/bin/actool", ["validate", aci])
            #expect(r.exit == 0, "actool validate \(aci): \(r)")
            let out = try makeTempDir(prefix: "rkt-decomp")
            defer { try? FileManager.default.removeItem(atPath: out) }
            try mustRun("/bin/sh", ["-c", "\(c.rawValue) -dc < '\(aci)' > '\(out)/x.tar'"])
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/x.tar")) == plainBytes)
        }
    }

    @Test("a manifest patch changes the manifest inside the ACI")
    func patchedManifest() throws {
        let aci = try TestImages.inspect {
            $0.setExec("/inspect --print-msg=Hello --exit-code=3")
            $0.name = "example.com/patched"
            $0.setUser("1000")
            $0.retainCapabilities(["CAP_NET_ADMIN"])
            $0.addMountPoint(name: "data", path: "/data", readOnly: true)
            $0.addPort(name: "http", port: 8080)
            $0.setEnv("FOO", "bar")
        }
        let r = try mustRun("/usr/bin/actool", ["cat-manifest", aci])
        for s in ["\"name\":\"example.com/patched\"", "\"exec\":[\"/inspect\",\"--print-msg=Hello\",\"--exit-code=3\"]",
                  "\"user\":\"1000\"", "os/linux/capabilities-retain-set", "\"path\":\"/data\"", "\"port\":8080", "\"FOO\""] {
            #expect(r.stdout.contains(s), "missing \(s) in \(r.stdout)")
        }
    }

    @Test("the inspect helper runs chrooted in its rootfs and prints rkt's formats")
    func inspectHelper() throws {
        let root = try ImageCache.shared.inspectRootfs()
        let r = try runCommand("/usr/sbin/chroot", [root, "/inspect", "--print-msg=Hi", "-print-user",
                                                    "--file-name", "/dir1/file", "--read-file", "--exit-code=5"])
        #expect(r.exit == 5)
        #expect(r.stdout == "Hi\nUser: uid=0 euid=0 gid=0 egid=0\n<<<dir1>>>\n")
        let s = try runCommand("/usr/sbin/chroot", [root, "/inspect", "--file-name=/dir1", "--stat-file"])
        #expect(s.stdout.contains("/dir1: mode: drwxr-xr-x"))
        let bad = try runCommand("/usr/sbin/chroot", [root, "/inspect", "positional"])
        #expect(bad.exit == 254 && bad.stderr.contains("Wrong parameters"))
        let ro = try runCommand("/usr/sbin/chroot", [root, "/inspect", "--file-name=/nope/x", "--write-file"])
        #expect(ro.exit == 254)
        #expect(ro.stderr == "Cannot write to file \"/nope/x\": open /nope/x: no such file or directory\n")
    }

    @Test("busybox image has applets, a root and a 1000 user")
    func busybox() throws {
        let root = try ImageCache.shared.busyboxRootfs()
        let r = try runCommand("/usr/sbin/chroot", [root, "/bin/sh", "-c", "id -u user; id -g user; id -gn user; echo ok"])
        #expect(r.exit == 0)
        #expect(r.stdout == "1000\n1000\nuser\nok\n")
    }

    @Test("a command past its timeout is killed and reported")
    func timeout() throws {
        let start = Date()
        let r = try runCommand("/bin/sleep", ["30"], timeout: 0.5)
        #expect(r.timedOut)
        #expect(r.exit == 128 + SIGKILL)
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test("stdin, environment and separate stdout/stderr reach the child")
    func io() throws {
        let r = try runCommand("/bin/sh", ["-c", "read x; echo \"out $x $FOO\"; echo err >&2; exit 3"],
                               stdin: "line\n", environment: ["FOO": "foo", "PATH": "/bin:/usr/bin"])
        #expect(r.exit == 3)
        #expect(r.stdout == "out line foo\n")
        #expect(r.stderr == "err\n")
    }

    @Test("a pty child sees a terminal and can be typed into")
    func pty() throws {
        let p = try PtyProcess("/bin/sh", ["-c", "test -t 0 && echo tty; read x; echo got $x"], environment: ["PATH": "/bin"])
        #expect(p.expect("tty", timeout: 10))
        p.sendLine("Saluton")
        let r = p.wait(timeout: 10)
        #expect(r.exit == 0)
        #expect(r.stdout.contains("got Saluton"))
    }

    @Test("TarWriter archives are read by GNU tar, hostile names included")
    func tarWriter() throws {
        var t = TarWriter()
        t.file("manifest", "{}")
        t.dir("rootfs")
        t.symlink("rootfs/link", to: "/etc")
        t.hardlink("rootfs/hl", to: "manifest")
        t.file("rootfs/../../escape", "x")
        let dir = try makeTempDir(prefix: "rkt-tarw")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try t.write(to: dir + "/t.tar")
        let r = try mustRun("/bin/tar", ["-tvf", dir + "/t.tar"])
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 5, "\(r)")
        #expect(lines[2].hasSuffix("rootfs/link -> /etc"))
        #expect(lines[3].hasSuffix("rootfs/hl link to manifest"))
        #expect(lines[4].hasSuffix("rootfs/../../escape"))
    }

}
