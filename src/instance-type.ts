/**
 * A SageMaker ML instance type (`ml.*`).
 *
 * Training, batch transform and hosting accept different lists of types;
 * each construct checks the type against the list for its use at synth time
 * (the lists come from `@aws-sdk/client-sagemaker`). Use a constant, or
 * `InstanceType.of('ml.g6.xlarge')` for any other type.
 */
export class InstanceType {
  /** ml.t2.medium (hosting only). */
  public static readonly ML_T2_MEDIUM = InstanceType.of('ml.t2.medium');
  /** ml.t3.medium (hosting only). */
  public static readonly ML_T3_MEDIUM = InstanceType.of('ml.t3.medium');
  /** ml.m5.large */
  public static readonly ML_M5_LARGE = InstanceType.of('ml.m5.large');
  /** ml.m5.xlarge */
  public static readonly ML_M5_XLARGE = InstanceType.of('ml.m5.xlarge');
  /** ml.m5.2xlarge */
  public static readonly ML_M5_2XLARGE = InstanceType.of('ml.m5.2xlarge');
  /** ml.m5.4xlarge */
  public static readonly ML_M5_4XLARGE = InstanceType.of('ml.m5.4xlarge');
  /** ml.c5.large (hosting only). */
  public static readonly ML_C5_LARGE = InstanceType.of('ml.c5.large');
  /** ml.c5.xlarge */
  public static readonly ML_C5_XLARGE = InstanceType.of('ml.c5.xlarge');
  /** ml.c5.2xlarge */
  public static readonly ML_C5_2XLARGE = InstanceType.of('ml.c5.2xlarge');
  /** ml.c5.4xlarge */
  public static readonly ML_C5_4XLARGE = InstanceType.of('ml.c5.4xlarge');
  /** ml.r5.large */
  public static readonly ML_R5_LARGE = InstanceType.of('ml.r5.large');
  /** ml.g4dn.xlarge (one NVIDIA T4 GPU). */
  public static readonly ML_G4DN_XLARGE = InstanceType.of('ml.g4dn.xlarge');
  /** ml.g5.xlarge (one NVIDIA A10G GPU). */
  public static readonly ML_G5_XLARGE = InstanceType.of('ml.g5.xlarge');
  /** ml.p3.2xlarge (one NVIDIA V100 GPU). */
  public static readonly ML_P3_2XLARGE = InstanceType.of('ml.p3.2xlarge');

  /**
   * An instance type by name, for example `ml.g6.xlarge`. Whether it is valid
   * for training, transform or hosting is checked where it is used.
   */
  public static of(instanceType: string): InstanceType {
    return new InstanceType(instanceType);
  }

  private constructor(private readonly instanceType: string) {}

  /** The instance type's name, for example `ml.m5.large`. */
  public toString(): string {
    return this.instanceType;
  }
}
