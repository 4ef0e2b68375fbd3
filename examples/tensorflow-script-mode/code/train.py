"""The TensorFlow lab's script, in script mode: a small Keras classifier on iris.

SageMaker's TensorFlow training container runs this file with the
hyperparameters as arguments (`--epochs 50 --learning-rate 0.01`, and
`--model_dir`, which the library sets as the SDK does) and the SM_* variables
set. The model is saved as a TensorFlow SavedModel under SM_MODEL_DIR/1,
the versioned layout the TensorFlow Serving inference image loads.
"""
import argparse
import os

import numpy as np
import tensorflow as tf


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument('--epochs', type=int, default=50)
    parser.add_argument('--learning-rate', type=float, default=0.01)
    parser.add_argument('--batch-size', type=int, default=16)
    # The SDK (and this library) pass model_dir; the SavedModel goes to SM_MODEL_DIR.
    parser.add_argument('--model_dir', type=str)
    parser.add_argument('--sm-model-dir', type=str, default=os.environ.get('SM_MODEL_DIR'))
    parser.add_argument('--train', type=str, default=os.environ.get('SM_CHANNEL_TRAINING'))
    return parser.parse_args()


def load(folder):
    rows = []
    for name in sorted(os.listdir(folder)):
        rows.append(np.loadtxt(os.path.join(folder, name), delimiter=',', skiprows=1))
    data = np.concatenate(rows)
    return data[:, :4].astype('float32'), data[:, 4].astype('int64')


def main():
    args = parse_args()
    features, labels = load(args.train)
    model = tf.keras.Sequential([
        tf.keras.layers.Input(shape=(4,)),
        tf.keras.layers.Dense(16, activation='relu'),
        tf.keras.layers.Dense(3, activation='softmax'),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(args.learning_rate),
                  loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    history = model.fit(features, labels, epochs=args.epochs, batch_size=args.batch_size, verbose=2)
    print('train accuracy: %.4f' % history.history['accuracy'][-1])
    # TensorFlow Serving loads <model dir>/<version>/saved_model.pb.
    model.export(os.path.join(args.sm_model_dir, '1'))


if __name__ == '__main__':
    main()
