// Fixed text of the report: the method in words and its limitations. Kept apart from the layout
// code so that the wording can be reviewed on its own (see docs/report.md, wording policy).
// Only WinAnsi characters: the PDF uses the standard fonts (so "phi", not the Greek letter).
import type { CaseParams } from '../types.js';
import { quotedText } from '../../shared/display-text.js';

/**
 * The manifold method in words, for cases analysed with it: what an artifact is under the estimate
 * used, and what the knn estimate's verdict additionally depends on.
 */
function manifoldParagraph(p: CaseParams): { title: string; text: string } {
  const m = p.manifold;
  const how =
    m?.estimate === 'knn'
      ? `In this case the projection was estimated from the ${m.k ?? 'k'} nearest images of a reference set of real images` +
        `${m.reference ? ` (library entry ${quotedText(m.reference.name)}, ${m.reference.images} images)` : ''}, in the feature space of the image ` +
        "encoder phi; the artifact is an image's features minus the distance-weighted average of its neighbours' features. " +
        'This estimate is only meaningful when the reference set shows real images of the same kind (domain) as the evidence, and the ' +
        'result depends on the reference set as well as on the library.'
      : m?.estimate === 'projector'
        ? 'In this case the projection was estimated by a learned restoration network (the projector) trained to map images onto ' +
          'real-looking images; the artifact is the image minus its projection, and a set encoder trained on such artifacts compares ' +
          'them with the library.'
        : 'The estimate of the projection used in this case was not recorded.';
  return {
    title: 'Manifold artifacts',
    text:
      'Following Song, Khayatkhoei and AbdAlmageed (ManiFPT, 2024), a generated image is described by its artifact: the ' +
      'difference between the image and its projection onto the set (manifold) of real images. Images from the same generator ' +
      'tend to deviate from real images in the same way, so their artifacts, rather than the images themselves, are compared ' +
      `with those of the library entries. ${how}`,
  };
}

export function methodParagraphs(p: CaseParams): { title: string; text: string }[] {
  const paragraphs = [
    {
      title: 'Overview',
      text:
        'The examination compares a set of questioned images (the evidence) with a reference library of generative models. ' +
        'Each library entry was enrolled from images known to come from one model. Two independent analyses are available; ' +
        'where both were run, the report states whether they agree.',
    },
    {
      title: 'Residual fingerprints',
      text:
        'Each image is reduced to its noise residual: the image minus a denoised copy of itself. This removes most of the scene ' +
        "content and keeps the faint, regular traces that a generator's architecture leaves in every image it makes. A library " +
        "entry's residual fingerprint is the pixel-by-pixel average of the residuals of its enrolment images (Marra et al., 2019). " +
        'An evidence image is compared with a fingerprint by the absolute value of their normalised correlation.',
    },
    {
      title: 'Set-based fingerprints',
      text:
        'Following Song and AbdAlmageed (2022), an image encoder (phi) maps every image to a feature vector; the features of a bag ' +
        'of images are pooled and passed through a second network (rho), which yields one embedding for the whole bag. Because the ' +
        'embedding is computed from a set, it reflects what the images have in common rather than the content of any one of them. ' +
        'The networks were trained contrastively: embeddings of bags from the same model are drawn together, those of bags from ' +
        'different models pushed apart.',
    },
    {
      title: 'The equations of the method, in words',
      text:
        '(1) The similarity of two bag embeddings is turned into a probability by a softmax over the negative squared Euclidean ' +
        'distances to all other bags. (2) The training loss is minus the logarithm of the total probability given to bags from ' +
        "the same model. (3) The correlation between one image and a model's fingerprint is the absolute value of their normalised " +
        "correlation. (4) Averaging (3) over held-out images of one model measures how strongly that model's images correlate with " +
        "another model's fingerprint; with the evidence in place of the held-out images, this gives the evidence-versus-library " +
        'matrix of Figure 1. (5) The same average taken between fingerprints gives the library-versus-library matrix of Figure 2. ' +
        '(6) The decorrelation score is the norm of the difference between that matrix and the identity matrix, divided by the ' +
        "square of the number of models; higher values mean that the library's fingerprints are more distinct from one another.",
    },
    {
      title: 'Attribution in this case',
      text:
        ((p.maxCrops ?? 1) <= 1
          ? `Every image was centre-cropped, without resampling, to a ${p.canvas} x ${p.canvas} pixel canvas. `
          : `Every image was cut, without resampling, into ${p.canvas} x ${p.canvas} pixel tiles: the centre tile, and for an image at least ` +
            `twice that size both ways up to ${p.maxCrops! - 1} more non-overlapping tiles (a choice seeded by the file's SHA-256 where ` +
            'it has more, so the same file always gives the same tiles). The measurements of the tiles of one image are averaged: an ' +
            'image counts once, however many tiles it has. ') +
        (p.cropLimitCaution ? `Caution: ${p.cropLimitCaution}. ` : '') +
        `The evidence was drawn ` +
        `into ${p.bags} bags of ${p.bagSize} images (random seed ${p.seed}, so the draw can be repeated exactly). Each bag receives a ` +
        'score for every library entry and the folder verdict combines the bags. The margin is the difference between the best and ' +
        'the second-best score. An open-set test compares the distance between the evidence and each entry with the distances ' +
        "observed for that entry's own held-out enrolment images; when the evidence lies farther away than those, the verdict is " +
        '"unknown" rather than the nearest entry.',
    },
  ];
  if (p.method === 'dsf')
    paragraphs.splice(paragraphs.length - 1, 0, {
      title: 'The library classifier',
      text:
        "Each evidence image is scored for every library entry by a classifier fitted on the entries' enrolment images (multinomial " +
        "logistic regression). It looks at three kinds of measurement per image: the encoder's feature vector (phi), the frequency " +
        "spectrum of the noise residual, and the residual's central 32 x 32 pixels. One classifier is fitted per kind, and their " +
        'scores are combined with weights estimated on enrolment images held back from each fit, so that a kind of measurement that ' +
        'does not carry over from one image of a model to another receives little weight. The weights are stated with each verdict. ' +
        'The scores of the images of a set are added and divided by a factor that grows with the number of images, because images ' +
        'of one model are not independent and plain addition would grow confident too quickly; the factor is fitted on sets of ' +
        'held-back enrolment images and stated in Section 4. Separately, the images are tested one by one: unless they consistently ' +
        'favour the nearest entry over the runner-up (a one-sided paired t-test at the 5 % level), the verdict is called weak ' +
        "whatever its probability, since it would rest on a few images. Finally, the library's own error rate at the size of the " +
        'evidence is estimated: sets of as many held-back enrolment images as the evidence has are drawn from every entry and ' +
        'classified in the same way, and the share of sets attributed to the named entry that in fact came from other entries is ' +
        'reported with the verdict; at 10 % or more the verdict is called weak, because the library does not reliably tell that ' +
        'entry from its neighbours with this many images. The estimate rests on the reference images, which resemble one another ' +
        'more than evidence may resemble them, so it can understate the error for evidence chosen or saved differently. The probability ' +
        'is read together with the margin, these tests and the stability chart.',
    });
  // The manifold method's own paragraph goes before the case-specific one.
  if (p.method === 'manifold') paragraphs.splice(paragraphs.length - 1, 0, manifoldParagraph(p));
  return paragraphs;
}

export const LIMITATIONS_INTRO: { title: string; text: string }[] = [
  {
    title: 'What the scores show',
    text:
      'A score measures how similar the evidence is to each entry of this library, under the trained model and the parameters ' +
      'stated in this report. A high score with a clear margin means that the evidence resembles one entry much more than the others.',
  },
  {
    title: 'What the scores do not show',
    text:
      'The scores do not establish that a particular model, person or service produced the images. They cannot exclude a generator ' +
      'that is not in the library: such a generator may resemble an entry closely (for example a fine-tuned version of it, or a ' +
      'different model sharing its architecture). A score is not the probability that an allegation is true, and scores from ' +
      'different cases are comparable only when the library, the model files and the parameters are identical.',
  },
];

export const FAILURE_MODES: string[] = [
  'Heavy re-compression (low-quality JPEG, messaging and social-media pipelines) weakens or erases the high-frequency traces the method relies on.',
  'Resizing, cropping to small sizes, screenshots, filters, or printing and re-scanning alter the pixel grid and can remove or change the fingerprint.',
  'Unseen generators: models absent from the library, and new versions of enrolled models, may be matched to the nearest entry or reported as unknown.',
  'Small evidence sets: with fewer than 5 images, or a margin below 0.10, this report calls the evidence weak; set-based fingerprints become stable only with tens to hundreds of images.',
  'Mixed folders: a folder holding images from several sources yields a blended fingerprint; the group and bag verdicts show whether the evidence is homogeneous.',
  'Library quality: an entry enrolled from few images, or from re-processed images, has a noisy fingerprint and attracts or repels evidence unreliably; the error rate on held-back reference images stated with each verdict measures this for the entries in question.',
];

export const PER_IMAGE_NOTE =
  'Per-image scores (Appendix A) are weak evidence on their own and are listed for completeness; conclusions should rest on the set-level verdicts.';
