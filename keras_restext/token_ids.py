"""The two reserved token ids and tokens, shared by the tokenizers (which emit them) and the layers
and exports (which read them): id 0 pads a row, id 1 stands for any out-of-vocabulary token.

Example:
>>> PAD_ID, OOV_ID, [PAD_TOKEN, OOV_TOKEN]
(0, 1, ['', '[UNK]'])
"""

PAD_ID = 0
OOV_ID = 1
PAD_TOKEN = ""
OOV_TOKEN = "[UNK]"

__all__ = ["OOV_ID", "OOV_TOKEN", "PAD_ID", "PAD_TOKEN"]
