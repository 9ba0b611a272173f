public enum Stage1FlyPlaceholder {}
