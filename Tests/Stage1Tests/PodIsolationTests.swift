import Glibc
import RktCommon
import RktOS
import Stage1
import Testing

/// Mount namespaces, user namespaces and app logs of the real pod-init (hand-built pods, root).
@Suite("pod init isolation and logs", .serialized)
struct PodIsolationTests {
    /// The value of the first output line starting with `key=`.
    func value(_ out: String, _ key: String) -> String? {
        out.split(separator: "\n").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    @Test("each app runs in its own mount namespace, distinct from pod-init's and the host's")
    func mountNamespaces() throws {
        let pod = try PodFixture([
            // Both stay alive a while: a namespace's inode number is reused once it is freed.
            ("a", #"{"exec":["/bin/sh","-c","echo a=$(readlink /proc/self/ns/mnt); sleep 1"]}"#),
            ("b", #"{"exec":["/bin/sh","-c","echo b=$(readlink /proc/self/ns/mnt); sleep 1"]}"#),
        ])
        defer { pod.cleanUp() }
        let (code, out) = try pod.run("init", ["--net=host", pod.uuid])
        #expect(code == 0, "\(out)")
        let a = value(out, "a"), b = value(out, "b")
        let host = try FileSystem.readlink("/proc/self/ns/mnt")
        #expect(a != nil && b != nil && a != b, "\(out)")
        #expect(a != host && b != host, "\(out)")
    }

    @Test("--private-users=shift:count runs the apps as root of a user namespace mapped onto the shift")
    func privateUsers() throws {
        let pod = try PodFixture([("a", #"{"exec":["/bin/sh","-c","echo uid=$(id -u); cat /proc/self/uid_map"]}"#)])
        defer { pod.cleanUp() }
        // stage0 shifts the owners of the stage1 rootfs (apps included) before running stage1.
        let chown = try Spawn.run(SpawnRequest(path: "/bin/chown", argv: ["chown", "-R", "100000:100000", pod.dir + "/stage1/rootfs"], env: []))
        #expect(try Spawn.wait(chown) == 0)
        let (code, out) = try pod.run("init", ["--net=none", "--private-users=100000:65536", pod.uuid])
        #expect(code == 0, "\(out)")
        #expect(value(out, "uid") == "0", "\(out)")
        let map = out.split(separator: "\n").first { $0.contains("100000") }?.split(separator: " ").map(String.init)
        #expect(map == ["0", "100000", "65536"], "\(out)")
    }

}

extension String {
    /// `self` with the first occurrence of `target` replaced (Foundation-free).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        let s = Array(utf8), t = Array(target.utf8)
        guard !t.isEmpty, s.count >= t.count else { return self }
        for i in 0...(s.count - t.count) where Array(s[i..<(i + t.count)]) == t {
            return String(decoding: s[..<i] + Array(replacement.utf8) + s[(i + t.count)...], as: UTF8.self)
        }
        return self
    }
}
