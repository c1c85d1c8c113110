"""The code shown in the getting-started page and the data guide.

The pages include the marked sections of this file, and the test suite runs
it, so what the docs show is code that works. It works in a temporary folder
(or the folder given as the first argument) and leaves nothing behind.
"""

import os
import sys
import tempfile
import warnings

workdir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
os.chdir(workdir)

# --8<-- [start:make]
from animecls.datasets import make_characters

characters = make_characters(random_state=0)
print(characters.images.shape, characters.images.dtype)
print(characters.class_names)
# --8<-- [end:make]
assert characters.images.shape == (185, 250, 250, 3)

# --8<-- [start:folder]
from animecls.datasets import load_image_folder, save_image_folder

save_image_folder(characters, "Anime Girls")
everything = load_image_folder("Anime Girls")
print(len(everything.filenames), "pictures of", everything.class_names)
# --8<-- [end:folder]
assert (everything.images == characters.images).all()

# --8<-- [start:split]
train = load_image_folder("Anime Girls", subset="train", test_size=0.3, random_state=42)
test = load_image_folder("Anime Girls", subset="test", test_size=0.3, random_state=42)
print(len(train.target), "training and", len(test.target), "test pictures")
# --8<-- [end:split]
assert (len(train.target), len(test.target)) == (129, 56)

# --8<-- [start:validation]
from animecls.datasets import train_validation_split

x_fit, x_val, y_fit, y_val = train_validation_split(
    train.images, train.target, validation_size=0.2, random_state=0
)
print("validation pictures per character:", [int((y_val == k).sum()) for k in range(3)])
# --8<-- [end:validation]
assert len(y_val) == 26

# --8<-- [start:bad-files]
from animecls.datasets import SkippedFilesWarning

with open(os.path.join("Anime Girls", "Yor Forger", "notes.txt"), "w") as f:
    f.write("not a picture")

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    everything = load_image_folder("Anime Girls")
print(caught[0].message)
print(everything.skipped)
# --8<-- [end:bad-files]
assert issubclass(caught[0].category, SkippedFilesWarning)
