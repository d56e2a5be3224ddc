package deploy

// KMS (AWS::KMS::*).

func init() {
	placeholder("AWS::KMS::Key", "the emulator's topics are not encrypted; nothing locally needs the key")
}
