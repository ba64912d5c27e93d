"""Simplicity bias on real images: MNIST-CIFAR and the MNIST / Fashion-MNIST domino (Tables 3-5,
Fig. 3a for images), and a linear probe of the features (chapter 07_images)."""
