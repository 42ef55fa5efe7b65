import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { DeviceType } from './device';

registerEnumType(DeviceType, { name: 'DeviceType' });

@ObjectType({ description: 'The device a session signed in from, as parsed from its User-Agent and, for apps, as the app declared it.' })
export class Device {
  @Field(() => DeviceType)
  type!: DeviceType;

  @Field(() => String, { nullable: true, description: '"iOS 17.4", "Windows 10"' })
  os!: string | null;

  @Field(() => String, { nullable: true, description: '"Safari 17", "Instagram App", "Chrome 126"' })
  browser!: string | null;

  @Field(() => String, { nullable: true, description: '"iPhone", "Pixel 8"' })
  model!: string | null;

  @Field({ description: 'Human summary, e.g. "Chrome on macOS", or "Ada\'s Pixel 8 · Android app 2.3.1" when the app declared its device.' })
  label!: string;

  @Field(() => String, { nullable: true, description: 'The name the app declared at sign-in (`device.name`); unverified, like the User-Agent.' })
  name!: string | null;

  @Field(() => String, { nullable: true, description: 'The platform the app declared at sign-in (`device.platform`); unverified.' })
  platform!: string | null;

  @Field(() => String, { nullable: true, description: 'The app version declared at sign-in (`device.appVersion`); unverified.' })
  appVersion!: string | null;
}
