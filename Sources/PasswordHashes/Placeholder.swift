public enum PasswordHashesPlaceholder {}
