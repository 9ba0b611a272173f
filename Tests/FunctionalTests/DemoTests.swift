import Foundation
import Testing

/// The README's set-up command ends with `make demo`: `scripts/build-demo-aci.sh` builds the demo
/// image offline from busybox-static and rkt runs it. CI runs `make test`, not `make demo`, so this
/// test runs the same script and the same `rkt run` (with the built stage1 images).
@Suite("README demo")
struct DemoTests {
    @Test("the demo image builds offline and runs with the full and the fly stage1",
          arguments: [Stage1Flavor.full, Stage1Flavor.fly])
    func demo(flavor: Stage1Flavor) throws {
        let env = try RktTestEnv()
        defer { env.cleanup() }
        env.stage1 = flavor
        let aci = env.tmpDir + "/demo.aci"
        let built = try mustRun(RktBuild.repoRoot + "/scripts/build-demo-aci.sh", [aci])
        #expect(built.exit == 0, "\(built)")
        let r = env.run([aci, "--exec=/bin/sh", "--", "-c", "echo \"hello from a Swift rkt pod: $(uname -s) $(id -u)\""])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("hello from a Swift rkt pod: Linux 0"), "\(r)")
        let plain = env.run([aci])
        #expect(plain.stdout.contains("hello from a Swift rkt pod"), "\(plain)")
    }
}
