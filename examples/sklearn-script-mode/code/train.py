"""The scikit-learn lab's script: a decision tree on iris, in script mode.

Training: SageMaker's scikit-learn container runs this file with the
hyperparameters as arguments (`--max_leaf_nodes 30`) and the SM_* variables
set; the model goes to SM_MODEL_DIR. Serving: the container imports this
module and calls model_fn; the default input_fn / predict_fn / output_fn do
the rest (CSV, JSON or NPY in and out).
"""
import argparse
import os

import joblib
import pandas as pd
from sklearn import tree


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument('--max_leaf_nodes', type=int, default=-1)
    parser.add_argument('--output-data-dir', type=str, default=os.environ.get('SM_OUTPUT_DATA_DIR'))
    parser.add_argument('--model-dir', type=str, default=os.environ.get('SM_MODEL_DIR'))
    parser.add_argument('--train', type=str, default=os.environ.get('SM_CHANNEL_TRAIN'))
    return parser.parse_args()


def main():
    args = parse_args()
    files = [os.path.join(args.train, name) for name in sorted(os.listdir(args.train))]
    if not files:
        raise ValueError('There are no files in %s: the train channel must hold CSV files '
                         '(label first, then the four features, no header).' % args.train)
    data = pd.concat([pd.read_csv(f, header=None, engine='python') for f in files])
    labels, features = data.iloc[:, 0], data.iloc[:, 1:]
    classifier = tree.DecisionTreeClassifier(max_leaf_nodes=args.max_leaf_nodes)
    classifier.fit(features, labels)
    print('train accuracy: %.4f' % classifier.score(features, labels))
    joblib.dump(classifier, os.path.join(args.model_dir, 'model.joblib'))


def model_fn(model_dir):
    """Loads the model that main() saved."""
    return joblib.load(os.path.join(model_dir, 'model.joblib'))


if __name__ == '__main__':
    main()
