"""The perturbations study's findings and the text written from them, on fabricated results
with known answers."""

import numpy as np
import pandas as pd
import pytest

from sbcore.studies.perturbations import findings, prose
from sbcore.studies.perturbations.study import AVERAGING


def metrics(avg_as=0.95):
    rows = []
    for ds, model, svd, share in (("lms-5", "FCN", 0.01, 0.99), ("lms-5", "CNN", 0.2, 0.9),
                                  ("ms-5-7", "FCN", 0.3, 0.8)):
        rows += [dict(dataset=ds, model=model, metric="SVD-UAP accuracy", value=svd),
                 dict(dataset=ds, model=model, metric="SVD-UAP share on S", value=share),
                 dict(dataset=ds, model=model, metric="PGD share on S", value=share),
                 dict(dataset=ds, model=model, metric="standard accuracy", value=1.0),
                 dict(dataset=ds, model=model, metric="unsigned SVD-UAP accuracy", value=0.5)]
    rows += [dict(dataset="lms-5", model=AVERAGING, metric="SVD-UAP accuracy", value=1.0),
             dict(dataset="lms-5", model=AVERAGING, metric="AS-UAP accuracy", value=avg_as),
             dict(dataset="mnist-fashion-A", model="SmallCNN", metric="SVD-UAP accuracy",
                  value=0.0)]
    return pd.DataFrame(rows)


def test_spans_leave_out_the_averaging_classifier_and_the_images():
    out = findings.spans(metrics())
    assert (out["uap_acc_lo"], out["uap_acc_hi"]) == (0.01, 0.3)
    assert (out["uap_share_lo"], out["uap_share_hi"]) == (0.8, 0.99)
    assert out["unsigned_lms_5"] == 0.5 and out["avg_svd_acc"] == 1.0
    assert out["averaging_holds"] and not findings.spans(metrics(0.5))["averaging_holds"]
    assert findings.stored_models(metrics()) == [("FCN", "lms-5"), ("CNN", "lms-5"),
                                                 ("FCN", "ms-5-7")]


def test_shifts():
    c = pd.DataFrame([dict(dataset="lms-5", model="FCN", attack=a, norm=n, accuracy=v)
                      for a, n, v in (("shift along S", 1.0, 0.1), ("shift along S", 2.0, 0.0),
                                      ("shift along Sᶜ", 1.0, 0.8), ("shift along Sᶜ", 2.0, 0.7))])
    assert findings.shifts(c) == dict(shift_norm=2.0, shift_s=0.1, shift_s_big=0.0,
                                      shift_sc=0.8, shift_sc_big=0.7)


def test_cosines_ignore_the_sign_of_a_uap():
    rows = []
    for model, vec in (("FCN", [1.0, 0.0]), ("CNN", [-1.0, 1.0])):
        for seed, sign in ((0, 1), (1, -1)):
            rows += [dict(dataset="lms-5", model=model, seed=seed, coordinate=i, value=sign * v)
                     for i, v in enumerate(vec)]
    cos = findings.cosines(pd.DataFrame(rows))
    assert cos == {("FCN", "CNN"): pytest.approx(1 / np.sqrt(2))}


def test_image_part():
    m = pd.DataFrame(dict(dataset="mnist-fashion-A", metric=[
        "UAP share on MNIST pixels", "UAP l2 mass on MNIST pixels", "image UAP norm",
        "image UAP accuracy"], value=[0.9, 0.81, 8.0, 0.1]))
    assert findings.image(m, 0.993) == dict(img_share=0.9, img_mass=0.81, img_norm=8.0,
                                            img_acc=0.1, img_paper=0.993)
    assert findings.image(metrics().iloc[:3], 0.993) == {}


def test_prose():
    f = dict(findings.spans(metrics()), d=50, models=[("FCN", "lms-5"), ("FCN", "ms-5-7")])
    bullet = prose.stored_recap(f)
    assert bullet.startswith("* At the paper's scale (stored: FCN on LMS-5, FCN on MS-(5,7); "
                             "d = 50): the SVD-UAPs of the same norms take the networks to "
                             "0.010–0.300 accuracy")
    assert prose.stored_recap(None) == ""
