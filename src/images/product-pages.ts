import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Between, MoreThan, Repository } from 'typeorm';
import { Image } from './image.entity.js';
import { Product } from './product.entity.js';

/** A task's rows in CSV order, each with its images in cell order (what the CSV export writes). */
@Injectable()
export class ProductPages {
  constructor(
    @InjectRepository(Image) private readonly images: Repository<Image>,
    @InjectRepository(Product) private readonly products: Repository<Product>,
  ) {}

  /** Walks the task's rows a page at a time. */
  async *walk(taskId: string, pageSize = 500): AsyncGenerator<{ product: Product; images: Image[] }> {
    let afterRow = 0;
    for (;;) {
      const products = await this.products.find({
        where: { taskId, rowNumber: MoreThan(afterRow) },
        order: { rowNumber: 'ASC' },
        take: pageSize,
      });
      if (products.length === 0) return;
      afterRow = products[products.length - 1].rowNumber;
      const images = await this.images.find({
        where: { taskId, rowNumber: Between(products[0].rowNumber, afterRow) },
        order: { rowNumber: 'ASC', position: 'ASC' },
      });
      const imagesByRow = new Map<number, Image[]>();
      for (const image of images) {
        const ofRow = imagesByRow.get(image.rowNumber);
        if (ofRow) ofRow.push(image);
        else imagesByRow.set(image.rowNumber, [image]);
      }
      for (const product of products) yield { product, images: imagesByRow.get(product.rowNumber) ?? [] };
    }
  }
}
