"""convnet.data: datasets, verified downloads, batch transforms and a reproducible DataLoader.

>>> import convnet.data as data
>>> from convnet.data import transforms as T
>>> train = data.get_dataset("synth-digits", size=256, cache=False)
>>> augment = T.Compose([T.RandomShift(2), T.ToFloat(), T.Normalize(train.mean, train.std)])
>>> loader = data.DataLoader(train, batch_size=64, shuffle=True, seed=0, transform=augment)
>>> images, labels = next(iter(loader))
>>> images.shape, images.dtype, labels.dtype
((64, 1, 28, 28), dtype('float32'), dtype('int64'))
"""

from . import download, transforms
from .cifar import CIFAR10, read_cifar_archive
from .dataset import Dataset, ImageDataset, Subset, TensorDataset, channel_stats, random_split
from .download import DatasetError, DatasetNotFoundError, DownloadError, RemoteFile, cache_dir
from .folder import ImageFolder, load_image
from .loader import DataLoader
from .mnist import KMNIST, MNIST, FashionMNIST, read_idx
from .registry import get_dataset, list_datasets
from .synth import SynthDigits, generate_digits

__all__ = [
    "CIFAR10", "DataLoader", "Dataset", "DatasetError", "DatasetNotFoundError", "DownloadError",
    "FashionMNIST", "ImageDataset", "ImageFolder", "KMNIST", "MNIST", "RemoteFile", "Subset", "SynthDigits",
    "TensorDataset", "cache_dir", "channel_stats", "download", "generate_digits", "get_dataset",
    "list_datasets", "load_image", "random_split", "read_cifar_archive", "read_idx", "transforms",
]
