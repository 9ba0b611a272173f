/// Example manifests written from the appc spec's examples (spec/aci.md, spec/pods.md).
enum Fixtures {
    static let imageManifest = #"""
        {
            "acKind": "ImageManifest",
            "acVersion": "0.8.11",
            "name": "example.com/reduce-worker",
            "labels": [
                {"name": "version", "value": "1.0.0"},
                {"name": "arch", "value": "amd64"},
                {"name": "os", "value": "linux"}
            ],
            "app": {
                "exec": ["/usr/bin/reduce-worker", "--quiet"],
                "user": "100",
                "group": "300",
                "supplementaryGids": [400, 500],
                "eventHandlers": [
                    {"exec": ["/usr/bin/data-downloader"], "name": "pre-start"},
                    {"exec": ["/usr/bin/deregister-worker", "--verbose"], "name": "post-stop"}
                ],
                "workingDirectory": "/opt/work",
                "environment": [
                    {"name": "REDUCE_WORKER_DEBUG", "value": "true"}
                ],
                "isolators": [
                    {"name": "resource/cpu", "value": {"request": "250m", "limit": "500m"}},
                    {"name": "resource/memory", "value": {"request": "1G", "limit": "2G"}},
                    {"name": "os/linux/capabilities-retain-set", "value": {"set": ["CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"]}}
                ],
                "mountPoints": [
                    {"name": "work", "path": "/var/lib/work", "readOnly": false}
                ],
                "ports": [
                    {"name": "health", "port": 4000, "protocol": "tcp", "socketActivated": true}
                ],
                "userLabels": {"b": "2", "a": "1"},
                "userAnnotations": {"note": "free"}
            },
            "dependencies": [
                {
                    "imageName": "example.com/reduce-worker-base",
                    "imageID": "sha512-91e98d7f1679a097c878203c9659f2a26ae394656b3147963324c61fa3832f15",
                    "labels": [
                        {"name": "os", "value": "linux"},
                        {"name": "env", "value": "canary"}
                    ],
                    "size": 1024
                }
            ],
            "pathWhitelist": ["/etc/ca/example.com/crt", "/usr/bin/map-reduce-worker", "/opt/libs/reduce-toolkit.so", "/etc/reduce-worker.conf", "/etc/systemd/system/"],
            "annotations": [
                {"name": "authors", "value": "Carly Container <carly@example.com>, Nat Network <[nat@example.com](mailto:nat@example.com)>"},
                {"name": "created", "value": "2014-10-27T19:32:58.000Z"},
                {"name": "documentation", "value": "https://example.com/docs"},
                {"name": "homepage", "value": "https://example.com"}
            ]
        }
        """#

    static let podManifest = #"""
        {
            "acVersion": "0.8.11",
            "acKind": "PodManifest",
            "apps": [
                {
                    "name": "reduce-worker",
                    "image": {
                        "name": "example.com/reduce-worker",
                        "id": "sha512-277205b3ae3eb3a8e042a62ae46934b470e431ac",
                        "labels": [{"name": "version", "value": "1.0.0"}]
                    },
                    "app": {
                        "exec": ["/bin/reduce-worker", "--debug=true", "--data-dir=/mnt/foo"],
                        "group": "0",
                        "user": "0",
                        "mountPoints": [{"name": "work", "path": "/mnt/foo"}]
                    },
                    "mounts": [{"volume": "worklib", "path": "/mnt/foo"}]
                },
                {
                    "name": "backup",
                    "image": {
                        "name": "example.com/worker-backup",
                        "id": "sha512-3e86b59982e49066c5d813af1c2e2579cbf573de",
                        "labels": [{"name": "version", "value": "1.0.0"}]
                    },
                    "app": {
                        "exec": ["/bin/reduce-backup"],
                        "group": "0",
                        "user": "0"
                    },
                    "mounts": [{"volume": "worklib", "path": "/mnt/bar"}],
                    "annotations": [{"name": "foo", "value": "baz"}]
                },
                {
                    "name": "register",
                    "image": {
                        "name": "example.com/reduce-worker-register",
                        "id": "sha512-86298e1fdb95ec9a45b5935504e26ec29b8feffa"
                    }
                }
            ],
            "volumes": [
                {"name": "worklib", "kind": "host", "source": "/opt/tenant1/work", "readOnly": true, "recursive": true},
                {"name": "scratch", "kind": "empty"}
            ],
            "isolators": [
                {"name": "resource/memory", "value": {"limit": "4G"}}
            ],
            "annotations": [
                {"name": "ip-address", "value": "10.1.2.3"}
            ],
            "ports": [
                {"name": "health", "hostPort": 4000, "hostIP": "127.0.0.1"}
            ]
        }
        """#
}
