public enum Stage1Placeholder {}
