"""Text helpers shared by components: untrusted-text detection and safe display."""
