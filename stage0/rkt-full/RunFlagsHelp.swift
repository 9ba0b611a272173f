/// The flags of rkt's positional run grammar, for `rkt help run` / `rkt help prepare`: they are
/// parsed by `RunArgParser`, not ArgumentParser, so ArgumentParser cannot list them itself.
/// Lines stay under 80 columns, where ArgumentParser wraps help text.
enum RunFlagsHelp {
    static let podFlags = """
        POD FLAGS (before the first image):
          --volume=NAME,kind=host,source=PATH[,readOnly=BOOL][,recursive=BOOL]
          --volume=NAME,kind=empty[,mode=0755][,uid=N][,gid=N]
          --mount=volume=NAME,target=PATH    (before the images: every app)
          --set-env=NAME=VALUE  --set-env-file=PATH  --inherit-env
          --pod-manifest=PATH  --pull-policy=new|update|never
          --no-overlay  --private-users
          --stage1-path=PATH | --stage1-url=URL | --stage1-name=NAME
            | --stage1-hash=ID | --stage1-from-dir=FILE
        """

    static let runtimeFlags = """
        RUNTIME FLAGS (run and run-prepared):
          --net[=default|default-restricted|host|none|NAME[:ARG=VALUE;...]]
          --port=NAME:[HOSTIP:]HOSTPORT  --hostname=NAME
          --dns=IP|host|none  --dns-search=DOMAIN  --dns-opt=OPT
          --dns-domain=DOMAIN  --hosts-entry=IP=NAME|host
          --ipc=auto|private|parent  --interactive  --mds-register
          --uuid-file-save=PATH (run only)
        """

    static let appFlags = """
        APP FLAGS (after an image, for that image's app):
          --name=NAME  --exec=PATH  --working-dir=PATH
          --user=UID|NAME  --group=GID|NAME  --supplementary-gids=N,N
          --environment=NAME=VALUE  --mount=volume=NAME,target=PATH
          --memory=QUANTITY  --cpu=QUANTITY  --cpu-shares=N  --oom-score-adj=N
          --caps-retain=CAP,...  --caps-remove=CAP,...
          --seccomp=mode=retain|remove[,errno=E],SYSCALL|@GROUP,...
          --readonly-rootfs  --user-annotation=K=V  --user-label=K=V
          --signature=PATH
          --stdin=null|tty|stream|interactive
          --stdout=null|tty|stream|log  --stderr=null|tty|stream|log
        """
}
